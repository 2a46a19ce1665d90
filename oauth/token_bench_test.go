package oauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// BenchmarkTokenHandler is one client_credentials request through the
// token endpoint's handler, without HTTP or a load generator around it,
// so -benchmem counts the server's own allocations per token:
//
//	go test ./oauth -run '^$' -bench TokenHandler -benchmem
func BenchmarkTokenHandler(b *testing.B) {
	for _, format := range []keypad.TokenFormat{keypad.FormatJWT, keypad.FormatOpaque} {
		b.Run(string(format), func(b *testing.B) {
			e := newEnv(b, benchConfig)
			mux := http.NewServeMux()
			e.srv.Register(mux)
			secret := e.mustClient(service("svc", format, "read", "write"))
			auth := basic("svc", secret)
			const body = "grant_type=client_credentials&scope=read"
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, PathToken, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				auth(req)
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
