package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/web"
)

// htmlLang is the page's <html lang>.
var htmlLang = regexp.MustCompile(`<html lang="([^"]*)">`)

func wantLang(t *testing.T, r response, want string) {
	t.Helper()
	m := htmlLang.FindStringSubmatch(r.Body)
	if m == nil || m[1] != want {
		t.Fatalf("%s %s: <html lang> = %v, want %q", r.Request.Method, r.Request.URL, m, want)
	}
	if got := r.Header.Get("Content-Language"); got != want {
		t.Errorf("Content-Language = %q, want %q", got, want)
	}
	if got := strings.Join(r.Header.Values("Vary"), ", "); !strings.Contains(got, "Accept-Language") || !strings.Contains(got, "Cookie") {
		t.Errorf("Vary = %q, want Accept-Language and Cookie", got)
	}
}

// TestLanguageChoice is the order of docs/languages.md: the switcher's
// cookie, then the person's preference, then Accept-Language, then the
// default.
func TestLanguageChoice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sub, err := e.store.GetSubject(ctx, "sub-alice")
	must(t, err)
	sub.PreferredLanguage = "es-MX"
	must(t, e.store.UpdateSubject(ctx, sub))

	t.Run("Default", func(t *testing.T) {
		r := e.browser().get("/device")
		wantLang(t, r, "en")
		wantBody(t, r, "Connect a device", `value="es"`, ">Español<")
	})
	t.Run("AcceptLanguage", func(t *testing.T) {
		b := e.browser()
		b.header.Set("Accept-Language", "fr-CA,fr;q=0.9,es;q=0.8,en;q=0.5")
		r := b.get("/device")
		wantLang(t, r, "es")
		wantBody(t, r, "Conectar un dispositivo", "8 letras, como", ">English<")
	})
	t.Run("CookieBeatsAcceptLanguage", func(t *testing.T) {
		b := e.browser()
		b.header.Set("Accept-Language", "es")
		wantRedirect(t, b.post("/language", url.Values{"lang": {"en"}, "next": {"/device?user_code=WDJB-MJHT"}}),
			"/device?user_code=WDJB-MJHT")
		r := b.get("/device?user_code=WDJB-MJHT")
		wantLang(t, r, "en")
		wantBody(t, r, "Is this the code on your device?")
	})
	t.Run("PreferenceOnceSignedIn", func(t *testing.T) {
		e.device("WDJBMJHT", 10*time.Minute)
		b := e.browser()
		b.header.Set("Accept-Language", "en-US")
		wantRedirect(t, b.enterCode("WDJB-MJHT"), "/login")
		wantLang(t, b.get("/login"), "en")
		wantRedirect(t, b.login("alice", alicePassword), "/consent")
		r := b.get("/consent")
		wantLang(t, r, "es")
		wantBody(t, r, "¿Permitir que Living Room TV use su cuenta?", "El dispositivo lo pidió a las 12:00 UTC", "vence en 10 minutos")
	})
	t.Run("SwitcherBeatsPreference", func(t *testing.T) {
		b := e.browser()
		wantRedirect(t, b.login("alice", alicePassword), "/device")
		wantLang(t, b.get("/account/devices"), "es")
		wantRedirect(t, b.post("/language", url.Values{"lang": {"en"}, "next": {"/account/devices"}}), "/account/devices")
		wantLang(t, b.get("/account/devices"), "en")
	})
}

// TestLanguageCookieJunk: a cookie that names no language exactly is
// ignored, whatever it holds, and never shown.
func TestLanguageCookieJunk(t *testing.T) {
	e := newEnv(t)
	for _, junk := range []string{"xx", "ES", "es-MX", `"><script>alert(1)</script>`, strings.Repeat("es", 2000), "en;es", "%00"} {
		b := e.browser()
		b.header.Set("Accept-Language", "es")
		b.header.Set("Cookie", web.LangCookie+"="+url.QueryEscape(junk))
		r := b.get("/device")
		wantStatus(t, r, http.StatusOK)
		wantLang(t, r, "es")
		if strings.Contains(r.Body, "<script>alert") {
			t.Errorf("cookie %q is echoed in the page", junk)
		}
	}
}

// TestLanguageSwitch: POST /language refuses unknown languages and other
// sites, and goes back only to pages on this server.
func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ next, want string }{
		{"/device?user_code=WDJB-MJHT", "/device?user_code=WDJB-MJHT"},
		{"/login/code", "/login/code"},
		{"//evil.example/x", "/device"},
		{"https://evil.example/", "/device"},
		{"/\\evil.example", "/device"},
		{"javascript:alert(1)", "/device"},
		{"", "/device"},
		{"device", "/device"},
	} {
		b := e.browser()
		r := b.post("/language", url.Values{"lang": {"es"}, "next": {tc.next}})
		wantRedirect(t, r, tc.want)
		var lang *http.Cookie
		for _, c := range r.Cookies() {
			if c.Name == web.LangCookie {
				lang = c
			}
		}
		if lang == nil || lang.Value != "es" || !lang.HttpOnly || lang.SameSite != http.SameSiteLaxMode || lang.MaxAge <= 0 {
			t.Errorf("next %q: cookie = %+v, want keypad_lang=es, HttpOnly, SameSite=Lax, kept", tc.next, lang)
		}
	}
	t.Run("ErrUnknownLanguage", func(t *testing.T) {
		r := e.browser().post("/language", url.Values{"lang": {"xx"}, "next": {"/device"}})
		wantStatus(t, r, http.StatusBadRequest)
		wantBody(t, r, "That language is not available")
		if len(r.Cookies()) != 0 {
			t.Errorf("a refused switch set cookies: %v", r.Cookies())
		}
	})
	t.Run("ErrCrossSite", func(t *testing.T) {
		b := e.browser()
		b.header.Set("Sec-Fetch-Site", "cross-site")
		r := b.post("/language", url.Values{"lang": {"es"}, "next": {"/device"}})
		wantStatus(t, r, http.StatusForbidden)
		if len(r.Cookies()) != 0 {
			t.Errorf("a cross-site switch set cookies: %v", r.Cookies())
		}
	})
}

// TestSpanishTexts: the texts built in Go (limits, plurals, identifier
// errors) come out in Spanish too, and scope and client descriptions in
// the person's language, falling back to the default description.
func TestSpanishTexts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.store.PutScope(ctx, &keypad.Scope{Name: "playlists:read", Description: "See your playlists",
		Descriptions: keypad.Descriptions{"es": "Ver sus listas de reproducción"}}))
	c, err := e.store.GetClient(ctx, clientID)
	must(t, err)
	c.Descriptions = keypad.Descriptions{"es": "Reproduce su música en el televisor."}
	must(t, e.store.UpdateClient(ctx, c))
	e.device("WDJBMJHT", 10*time.Minute)

	b := e.browser()
	b.header.Set("Accept-Language", "es-US")
	r := b.enterCode("GGGG-HHHH")
	wantLang(t, r, "es")
	wantBody(t, r, "Ese código no es válido o ya venció")
	wantRedirect(t, b.enterCode("wdjb mjht"), "/login")
	r = b.login("alice", "wrong")
	wantBody(t, r, "El nombre de usuario y la contraseña no coinciden")
	wantRedirect(t, b.login("alice", alicePassword), "/consent")
	r = b.get("/consent")
	wantBody(t, r, "Ver sus listas de reproducción", "(playlists:read)", "Reproduce su música en el televisor.",
		"device:abc123:control", "Permitir", "Rechazar")
	r = b.answer("approve")
	wantBody(t, r, "Ya puede volver a su dispositivo", "Living Room TV ya está conectado a su cuenta")
	r = b.get("/account/devices")
	wantBody(t, r, "Sus dispositivos y aplicaciones", "Conectado el 1 de marzo de 2026, 12:00 UTC", "Último uso: nunca")

	// A language without its own description reads the default one.
	en := e.browser()
	en.header.Set("Accept-Language", "en")
	wantRedirect(t, en.login("alice", alicePassword), "/device")
	wantBody(t, en.get("/account/devices"), "See your playlists", "Connected 1 Mar 2026, 12:00 UTC")
}

// TestPageKeysInCatalogue: every message key the templates and the
// handlers name is in the English catalogue (which the i18n package's
// test holds every other catalogue to), so no page shows a bare key.
func TestPageKeysInCatalogue(t *testing.T) {
	l := i18n.MustLoad("en").Localizer("en")
	keyRE := regexp.MustCompile(`(?:\.L\.T|\.L\.HTML|\bt\(|\bplural\(|l\.T\()\s*"([a-z_.0-9]+)"`)
	files, err := filepath.Glob("templates/*.html")
	must(t, err)
	gofiles, err := filepath.Glob("*.go")
	must(t, err)
	seen := 0
	for _, f := range append(files, gofiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		must(t, err)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			key := m[1]
			if strings.HasSuffix(key, ".") { // a prefix the code completes
				continue
			}
			seen++
			if got := l.T(key); got == key {
				t.Errorf("%s names %q, which the catalogue lacks", f, key)
			}
		}
	}
	if seen < 150 {
		t.Errorf("found only %d keys: the pattern no longer matches the code", seen)
	}
}
