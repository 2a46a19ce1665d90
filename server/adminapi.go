package server

import (
	"io"

	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/token"
)

// buildAdminAPI builds the admin API (package admin) on the server's
// store and oauth's gate for management requests. routes mounts it on
// the public listener with admin_public; adminServer always mounts it on
// the admin listener.
// Imported people's IDs are keyed as `keypad user import` keys them.
func (s *Server) buildAdminAPI(rnd io.Reader, sealer *token.Sealer) (*admin.API, error) {
	return admin.New(admin.Config{
		Store: s.store, OAuth: s.oauth, Keys: s.keys, Now: s.now, Rand: rnd,
		Region: s.cfg.OTP.Region, Log: s.log, SubjectIDKey: sealer.DeriveKey("subject-id"),
	})
}
