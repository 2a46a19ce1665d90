package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/scim"

	"github.com/keypadauth/keypad/web"
)

// routes builds the one mux keypad serves: the OAuth endpoints, the
// hosted pages, the operational endpoints, the dev outbox in dev mode,
// and the hosted pages' 404 page for every other path.
func (s *Server) routes(pages *web.Handler) http.Handler {
	mux := http.NewServeMux()
	// api holds the endpoints whose wrong methods must answer 405: with a
	// catch-all "/" on mux, mux itself would find "/" instead.
	api := http.NewServeMux()
	for _, m := range []*http.ServeMux{mux, api} {
		s.oauth.Register(m)
		m.HandleFunc("GET /healthz", s.healthz)
		m.HandleFunc("GET /readyz", s.readyz)
		if s.cfg.AdminPublic {
			s.adminAPI.Register(m)
			s.registerAdmin(m)
		}
	}
	pages.Register(mux)
	if s.scim.public != nil {
		mux.Handle(scim.Prefix, s.scim.public)
	}
	mux.Handle("GET /{$}", s.landing(pages))
	if s.cfg.Dev {
		s.registerDevOutbox(mux)
	}
	mux.Handle("/", &fallback{api: api, notFound: pages.NotFound})
	return mux
}

// fallback answers the requests no route took: 405 (with Allow and a JSON
// OAuth error, like every other answer of those endpoints) for a known
// endpoint asked with another method, and the 404 page otherwise.
type fallback struct {
	api      *http.ServeMux
	notFound http.HandlerFunc
}

// probeMethods are the methods tried to tell 405 from 404.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func (f *fallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var allow []string
	var path string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, pattern := f.api.Handler(probe); pattern != "" {
			_, path, _ = strings.Cut(pattern, " ")
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) > 0 {
		methods := strings.Join(allow, ", ")
		w.Header().Set("Allow", methods)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{
			"error":             oauth.CodeInvalidRequest,
			"error_description": fmt.Sprintf("%s does not answer this method: use %s", path, methods),
		})
		return
	}
	// Count unknown paths as unmatched, not as "/", like any scanner's
	// probe.
	r.Pattern = ""
	f.notFound(w, r)
}
