package server

import (
	"io"
	"net/http"
	"strings"

	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/scim"
)

// scimHandlers are SCIM's handlers (package scim) for the admin listener
// and, with admin_public, the public one; each names its own listener's
// URL in meta.location, since a client follows those links.
type scimHandlers struct {
	public, admin http.Handler
}

// buildSCIM builds the handlers SCIM needs on this server's listeners.
// Every request passes oauth's admin gate (keypad:users) first.
func (s *Server) buildSCIM(rnd io.Reader) (scimHandlers, error) {
	build := func(base string) (http.Handler, error) {
		return scim.New(scim.Config{
			Store: s.store, Auth: s.oauth,
			BaseURL:          strings.TrimSuffix(base, "/") + strings.TrimSuffix(scim.Prefix, "/"),
			Normalizer:       identifier.Normalizer{DefaultRegion: s.cfg.OTP.Region},
			Now:              s.now,
			Rand:             rnd,
			Log:              s.log,
			DocumentationURI: "https://github.com/keypadauth/keypad/blob/main/docs/scim.md",
		})
	}
	var h scimHandlers
	var err error
	if s.cfg.AdminPublic {
		if h.public, err = build(s.issuer); err != nil {
			return h, err
		}
	}
	if s.adminLn != nil {
		if h.admin, err = build("http://" + s.adminLn.Addr().String()); err != nil {
			return h, err
		}
	}
	return h, nil
}
