package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/ratelimit"
)

func TestLogin(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		e.device("WDJBMJHT", 10*time.Minute)
		b := e.browser()
		wantRedirect(t, b.enterCode("WDJBMJHT"), "/login")
		before := b.sessionCookie()

		r := b.get("/login")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Sign in to connect your device", `autocomplete="username"`, `autocomplete="current-password"`,
			`<label for="username">`, `<label for="password">`)

		wantRedirect(t, b.login("alice", alicePassword), "/consent")
		after := b.sessionCookie()
		if after == before || after == "" {
			t.Fatal("session value was not rotated at sign-in (session fixation)")
		}
		ctx := context.Background()
		if _, err := e.store.GetSession(ctx, keypad.SecretHash(before), e.clock.Now()); !errors.Is(err, keypad.ErrNotFound) {
			t.Fatalf("pre-sign-in session: got %v, want ErrNotFound", err)
		}
		s, err := e.store.GetSession(ctx, keypad.SecretHash(after), e.clock.Now())
		must(t, err)
		if s.Subject != "sub-alice" || s.Data["device"] == "" || len(s.AMR) != 1 || s.AMR[0] != "pwd" {
			t.Fatalf("session after sign-in = %+v, want alice with the device kept and amr pwd", s)
		}
		// Signed in, /login goes on to the flow.
		wantRedirect(t, b.get("/login"), "/consent")
	})

	t.Run("ErrWrongPasswordAndUnknownUserReadTheSame", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		wrong := b.login("alice", "not the password")
		wantStatus(t, wrong, http.StatusUnauthorized)
		wantBody(t, wrong, "That username and password do not match")
		unknown := b.login("mallory", "whatever it is")
		wantStatus(t, unknown, http.StatusUnauthorized)
		wantBody(t, unknown, "That username and password do not match")
		if b.sessionCookie() != "" {
			t.Fatal("a failed sign-in set a session cookie")
		}
		if got := e.event("login", "failed"); got != 2 {
			t.Fatalf("login failed events = %v, want 2", got)
		}
	})

	t.Run("ErrMissingFields", func(t *testing.T) {
		e := newEnv(t)
		r := e.browser().login("alice", "")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "Enter your username and your password.")
	})

	t.Run("ErrLocked", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		for range 9 {
			r := b.login("alice", "guess")
			wantStatus(t, r, http.StatusUnauthorized)
			wantBody(t, r, "do not match")
		}
		r := b.login("alice", "guess") // the 10th failure locks
		wantStatus(t, r, http.StatusUnauthorized)
		wantBody(t, r, "locked for up to 15 minutes")
		got, err := e.store.Count(context.Background(), ratelimit.LoginCounter("alice"), e.clock.Now())
		must(t, err)
		if got != 10 {
			t.Fatalf("login counter = %d, want 10", got)
		}
		// Even the right password is refused while locked.
		r = b.login("alice", alicePassword)
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "locked for up to 15 minutes")

		e.clock.Advance(15 * time.Minute)
		wantRedirect(t, b.login("alice", alicePassword), "/device")
		got, err = e.store.Count(context.Background(), ratelimit.LoginCounter("alice"), e.clock.Now())
		must(t, err)
		if got != 0 {
			t.Fatalf("login counter after success = %d, want 0", got)
		}
		types := e.auditTypes(alicePassword)
		if e.count(types, "login.failed") != 10 || e.count(types, "login.locked") != 1 || e.count(types, "login.succeeded") != 1 {
			t.Fatalf("audit events %v, want 10 failed, 1 locked, 1 succeeded", types)
		}
	})

	// Guesses racing at a username one failure short of its lock: only
	// one may reach the password check, the rest are refused as locked.
	t.Run("ErrLockedConcurrent", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		for range 9 {
			wantStatus(t, b.login("alice", "guess"), http.StatusUnauthorized)
		}
		const racers = 16
		var wg sync.WaitGroup
		codes := make([]int, racers)
		errs := make([]error, racers)
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-start
				res, err := http.PostForm(e.srv.URL+"/login", url.Values{"username": {"alice"}, "password": {fmt.Sprint("guess ", i)}})
				if err != nil {
					errs[i] = err
					return
				}
				res.Body.Close()
				codes[i] = res.StatusCode
			})
		}
		close(start)
		wg.Wait()
		locked := 0
		for i := range racers {
			must(t, errs[i])
			if codes[i] == http.StatusTooManyRequests {
				locked++
			}
		}
		if got := e.event("login", "failed"); got != 10 {
			t.Fatalf("login failed events = %v, want 10 (9 before the race, 1 in it)", got)
		}
		if got, want := locked, racers-1; got != want {
			t.Fatalf("racers refused as locked = %d, want %d (statuses %v)", got, want, codes)
		}
		if got := e.event("login", "locked"); got != racers-1 {
			t.Fatalf("login locked events = %v, want %d", got, racers-1)
		}
	})
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.device("WDJBMJHT", 10*time.Minute)
	b := e.signedInAtConsent("WDJBMJHT")
	value := b.sessionCookie()
	r := b.post("/logout", url.Values{})
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "You are signed out")
	if _, err := e.store.GetSession(context.Background(), keypad.SecretHash(value), e.clock.Now()); !errors.Is(err, keypad.ErrNotFound) {
		t.Fatalf("session after logout: got %v, want ErrNotFound", err)
	}
	if b.sessionCookie() != "" {
		t.Fatal("cookie survived logout")
	}
}
