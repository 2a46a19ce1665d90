package server

import (
	"net/http"

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
		m.Handle("GET /metrics", s.metrics.Handler())
	}
	pages.Register(mux)
	if s.cfg.Dev {
		s.registerDevOutbox(mux)
	}
	mux.Handle("/", &fallback{api: api, notFound: pages.NotFound})
	return mux
}

// fallback answers the requests no route took: 405 (with Allow) for a
// known endpoint asked with another method, and the 404 page otherwise.
type fallback struct {
	api      *http.ServeMux
	notFound http.HandlerFunc
}

// probeMethods are the methods tried to tell 405 from 404.
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func (f *fallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := r.WithContext(r.Context())
		probe.Method = m
		if _, pattern := f.api.Handler(probe); pattern != "" {
			f.api.ServeHTTP(w, r) // the mux's own 405, with Allow
			return
		}
	}
	// Count unknown paths as unmatched, not as "/", like any scanner's
	// probe.
	r.Pattern = ""
	f.notFound(w, r)
}
