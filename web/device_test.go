package web_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestDeviceEnter(t *testing.T) {
	e := newEnv(t)
	r := e.browser().get("/device")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r,
		`<html lang="en">`,
		`<label for="user_code">`,
		`id="user_code" name="user_code"`,
		`autocapitalize="characters"`,
		`spellcheck="false"`,
		`autocomplete="one-time-code"`,
		`inputmode="text"`,
		"8 letters, like FNWG-PXHQ",
		`action="/device"`,
		`href="/static/keypad.css"`,
	)
	if strings.Contains(r.Body, "<script") {
		t.Fatal("page has a script element; pages must work without JavaScript")
	}
}

func TestDeviceConfirm(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		r := e.browser().get("/device?user_code=wdjb+mjht")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Is this the code on your device?", "WDJB-MJHT", `src="/device/qr?format=svg&amp;user_code=WDJB-MJHT"`,
			`name="user_code" value="WDJB-MJHT"`, "Yes, it matches")
		// Showing the code approves nothing and looks nothing up.
		if got := e.getDevice(hash).Status; got != keypad.DevicePending {
			t.Fatalf("status after GET = %s, want pending", got)
		}
		if got := e.auditTypes(); len(got) != 0 {
			t.Fatalf("GET wrote audit events %v, want none", got)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		e := newEnv(t)
		r := e.browser().get("/device?user_code=AEIOU")
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "not valid", `aria-invalid="true"`)
	})
	t.Run("UnknownLooksTheSame", func(t *testing.T) {
		// A well-formed code nobody issued gets the same confirm page: the
		// GET is not an oracle.
		e := newEnv(t)
		r := e.browser().get("/device?user_code=BBBB-BBBB")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "BBBB-BBBB", "Is this the code on your device?")
	})
}

func TestDeviceSubmit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.browser()
		wantRedirect(t, b.enterCode("wdjb-mjht"), "/login")
		s, err := e.store.GetSession(context.Background(), keypad.SecretHash(b.sessionCookie()), e.clock.Now())
		must(t, err)
		if got, want := s.Data["device"], hex.EncodeToString(hash); got != want {
			t.Fatalf("session device = %q, want %q", got, want)
		}
		if e.event("device", "code_accepted") != 1 {
			t.Fatal("code_accepted not counted")
		}
	})

	// Every kind of wrong code answers with the very same page.
	e := newEnv(t)
	e.device("BBBBCCCC", 10*time.Minute)         // will expire
	used := e.device("DDDDFFFF", 30*time.Minute) // will be approved
	_, err := e.store.UpdateDeviceAuthorization(context.Background(), used, func(d *keypad.DeviceAuthorization) error {
		d.Status = keypad.DeviceApproved
		return nil
	})
	must(t, err)
	e.clock.Advance(11 * time.Minute)

	var bodies []string
	for _, tt := range []struct{ name, code string }{
		{"ErrUnknown", "GGGG-HHHH"},
		{"ErrExpired", "BBBB-CCCC"},
		{"ErrUsed", "DDDD-FFFF"},
		{"ErrMalformed", "AAAA"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.browser().enterCode(tt.code)
			wantStatus(t, r, http.StatusBadRequest)
			wantBody(t, r, "That code is not valid or has expired", "ask the device for a new one", `aria-invalid="true"`, `id="user_code"`)
			bodies = append(bodies, r.Body)
		})
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i] != bodies[0] {
			t.Fatalf("wrong-code page %d differs from the first: an oracle for guessers", i)
		}
	}
	if got := e.event("device", "code_rejected"); got != 4 {
		t.Fatalf("code_rejected = %v, want 4", got)
	}
	types := e.auditTypes("GGGGHHHH", "GGGG-HHHH", "BBBBCCCC", "BBBB-CCCC", "DDDDFFFF", "DDDD-FFFF")
	if got := e.count(types, "device.code_rejected"); got != 4 {
		t.Fatalf("audit code_rejected events = %d, want 4 (all: %v)", got, types)
	}
}

func TestDeviceSignedInGoesToConsent(t *testing.T) {
	e := newEnv(t)
	e.device("WDJBMJHT", 10*time.Minute)
	b := e.signedInAtConsent("WDJB-MJHT")
	e.device("KKKKLLLL", 10*time.Minute)
	// A second device while signed in skips sign-in.
	wantRedirect(t, b.enterCode("KKKKLLLL"), "/consent")
}
