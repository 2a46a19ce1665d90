package server

import (
	"net/http"

	"github.com/keypadauth/keypad/oauth"
)

// registerAdmin puts the management endpoints on mux: the admin
// listener's always, the public one's too with admin_public. Each
// authorises its requests itself (oauth.Server.AuthorizeAdmin).
func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.Handle("POST "+oauth.PathInitialAccessTokens, s.oauth.InitialAccessTokens())
}
