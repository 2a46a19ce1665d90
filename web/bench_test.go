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
		web.Deps{Store: e.store, Flows: e.flows(), Logger: slog.New(slog.DiscardHandler), Limiter: e.limiter, Now: e.clock.Now, UserCodeKey: testUserCodeKey})
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

// BenchmarkLogin measures what a password guesser costs the server: a
// wrong password (charges, one argon2id check, the failure counted), and
// an attempt the username's lock refuses (two counter writes, no argon2id).
func BenchmarkLogin(b *testing.B) {
	for _, bc := range []struct {
		name   string
		user   string
		status int
	}{
		{"WrongPassword", "alice", http.StatusUnauthorized},
		{"Refused", "locked", http.StatusTooManyRequests},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, func(c *web.Config, rc *ratelimit.Config) {
				c.ClientIPHeader = "X-Real-IP"
				rc.LoginPerUser = ratelimit.Limit{Max: 1000, Window: time.Hour}
				rc.LoginGlobal = ratelimit.Limit{Max: 1000000, Window: time.Minute}
			})
			for i := range 1000 { // lock "locked" without paying for argon2id
				ip := fmt.Sprintf("192.0.%d.%d", i>>8, i&255)
				if _, err := e.limiter.ChargeLogin(b.Context(), ratelimit.LoginAttempt{Username: "locked", IP: ip}); err != nil {
					b.Fatal(err)
				}
			}
			mux := http.NewServeMux()
			h, err := web.New(web.Config{Issuer: "http://127.0.0.1", ClientIPHeader: "X-Real-IP", FormBurst: 1 << 30},
				web.Deps{Store: e.store, Flows: e.flows(), Logger: slog.New(slog.DiscardHandler), Limiter: e.limiter, Now: e.clock.Now})
			must(b, err)
			h.Register(mux)
			i := 0
			for b.Loop() {
				i++
				req := httptest.NewRequest("POST", "/login", strings.NewReader("username="+bc.user+"&password=guess"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Real-IP", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != bc.status {
					b.Fatalf("status %d, want %d", rec.Code, bc.status)
				}
			}
		})
	}
}
