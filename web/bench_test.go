package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/web"
)

// BenchmarkWrongCode measures what a guesser costs the server: one POST
// /device with a wrong code and no cookie (a new session each time), the
// limits checked and charged in SQLite. Each request comes from another
// address so no limit refuses it.
func BenchmarkWrongCode(b *testing.B) {
	e := newEnv(b, func(c *web.Config, rc *ratelimit.Config) {
		c.ClientIPHeader = "X-Real-IP"
		rc.CodeGlobal = ratelimit.Limit{Max: 1000000, Window: time.Minute}
	})
	e.device("WDJBMJHT", time.Hour)
	mux := http.NewServeMux()
	h, err := web.New(web.Config{Issuer: "http://127.0.0.1", ClientIPHeader: "X-Real-IP", FormBurst: 1 << 30},
		web.Deps{Store: e.store, Logger: slog.New(slog.DiscardHandler), Limiter: e.limiter, Now: e.clock.Now, UserCodeKey: testUserCodeKey})
	must(b, err)
	h.Register(mux)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest("POST", "/device", strings.NewReader("user_code=BBBBBBBB"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Real-IP", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			b.Fatalf("status %d, want 400", rec.Code)
		}
	}
}
