package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// The hosted pages in Spanish, end to end through the binary: the device
// flow walked in a real headless Chromium three ways (the browser asks
// for Spanish, the person picks Español with the switcher, the person's
// stored language is Spanish), and an authorization request whose
// ui_locales names Spanish. The Spanish screenshots in docs/screenshots
// (es-*.png) come from here with KEYPAD_UPDATE_SCREENSHOTS=1.

const (
	tvScopeTextES = "Ver sus listas de reproducción"
	tvDescES      = "Reproduce su música en el televisor de la sala."
)

// spanishSetup is newDeviceSetup in a browser whose languages are
// acceptLang, with Spanish descriptions of the TV and its scope and a
// person, rosa, whose stored language is Spanish.
func spanishSetup(t *testing.T, acceptLang string) *deviceSetup {
	t.Helper()
	d := newDeviceSetupIn(t, chromedp.Flag("accept-lang", acceptLang))
	mustRun(t, d.e, "", "scope", "update", tvScope, "--description-es", tvScopeTextES)
	mustRun(t, d.e, "", "client", "update", d.tv.ClientID, "--description", "Plays your music on the living room TV.",
		"--description-es", tvDescES)
	m, _, _ := newMain(d.e, alicePass+"\n")
	if err := m.Run(context.Background(), []string{"user", "create", "--username", "rosa", "--name", "Rosa", "--language", "es", "--password-stdin"}); err != nil {
		t.Fatalf("user create rosa: %v", err)
	}
	return d
}

// lang is the page's <html lang>.
func lang(t *testing.T, ctx context.Context) string {
	t.Helper()
	l, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.lang"))
	if err != nil {
		t.Fatalf("browser, read <html lang>: %v", err)
	}
	return l
}

// esShot screenshots the page as docs/screenshots/es-NAME.png.
func esShot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	return browsertest.Screenshot(t, filepath.Join("..", "..", "docs", "screenshots", "es-"+name+".png"))
}

// startDevice starts a device authorization for the TV, polling in the
// background; wait returns the tokens.
func (d *deviceSetup) startDevice(t *testing.T) (*oauth2.DeviceAuthResponse, func() *oauth2.Token) {
	t.Helper()
	tv := &oauth2.Config{ClientID: d.tv.ClientID, Endpoint: d.endpoint, Scopes: []string{tvScope}}
	da, err := tv.DeviceAuth(context.Background())
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	polled := make(chan result, 1)
	go func() {
		tok, err := tv.DeviceAccessToken(context.Background(), da)
		polled <- result{tok, err}
	}()
	return da, func() *oauth2.Token {
		r := <-polled
		if r.err != nil {
			t.Fatalf("device access token: %v", r.err)
		}
		return r.tok
	}
}

// pageIs checks the page's language and that it reads each of want.
func pageIs(t *testing.T, ctx context.Context, page, wantLang string, want ...string) {
	t.Helper()
	if got := lang(t, ctx); got != wantLang {
		t.Errorf("%s page: <html lang=%q>, want %q", page, got, wantLang)
	}
	text := browsertest.MainText(t, ctx)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s page lacks %q; it reads:\n%s", page, w, text)
		}
	}
}

// signInSpanish signs in as user and approves on the Spanish consent
// page, checking its words.
func (d *deviceSetup) signInSpanish(t *testing.T, user string, shots bool) {
	t.Helper()
	ctx := d.browser
	browsertest.Do(t, ctx, "sign in", chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), alicePass))
	if shots {
		browsertest.Do(t, ctx, "screenshot sign-in", esShot(t, "login"))
	}
	browsertest.Do(t, ctx, "submit", chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	pageIs(t, ctx, "consent", "es", "¿Permitir que "+tvName+" use su cuenta?", tvDescES, tvScopeTextES, "vence en", "Permitir", "Rechazar")
	if shots {
		browsertest.Do(t, ctx, "screenshot consent", esShot(t, "consent"))
	}
	browsertest.Do(t, ctx, "approve", chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	pageIs(t, ctx, "done", "es", "Ya puede volver a su dispositivo", tvName+" ya está conectado a su cuenta")
	if shots {
		browsertest.Do(t, ctx, "screenshot done", esShot(t, "done"))
	}
}

// TestSpanishDeviceFlowAcceptLanguage: a browser that asks for Spanish
// gets every page of the device flow in Spanish, and the TV its tokens.
func TestSpanishDeviceFlowAcceptLanguage(t *testing.T) {
	d := spanishSetup(t, "es-US,es")
	ctx := d.browser
	check := browsertest.WatchCSP(t, ctx)

	browsertest.Do(t, ctx, "landing page", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	pageIs(t, ctx, "landing", "es", "servidor de autorización OAuth 2.0", "Para las personas", "Escribir un código")
	browsertest.Do(t, ctx, "screenshot landing", esShot(t, "landing"))

	browsertest.Do(t, ctx, "code entry", chromedp.Navigate(d.base+"/device"), chromedp.WaitVisible(chromedp.ID("user_code")))
	pageIs(t, ctx, "code entry", "es", "Conectar un dispositivo", "Código de su dispositivo", "8 letras")
	browsertest.Do(t, ctx, "screenshot code entry", esShot(t, "device-enter"))
	browsertest.Do(t, ctx, "a wrong code", chromedp.SendKeys(chromedp.ID("user_code"), "gggg hhhh"),
		chromedp.Submit(chromedp.ID("user_code")), chromedp.WaitVisible(chromedp.ID("code-error")))
	pageIs(t, ctx, "wrong code", "es", "Ese código no es válido o ya venció")
	browsertest.Do(t, ctx, "screenshot wrong code", esShot(t, "invalid-code"))

	da, wait := d.startDevice(t)
	browsertest.Do(t, ctx, "open verification_uri_complete", chromedp.Navigate(da.VerificationURIComplete),
		chromedp.WaitVisible(chromedp.CSS("form.card button.primary")))
	pageIs(t, ctx, "confirm", "es", "¿Es este el código de su dispositivo?", da.UserCode, "Sí, es el mismo")
	browsertest.Do(t, ctx, "screenshot confirm", esShot(t, "device-confirm"),
		chromedp.Click(chromedp.CSS("form.card button.primary")), chromedp.WaitVisible(chromedp.ID("username")))
	pageIs(t, ctx, "sign-in", "es", "Iniciar sesión", "Inicie sesión para conectar su dispositivo a su cuenta.")
	d.signInSpanish(t, "alice", true)
	if tok := wait(); !strings.HasPrefix(tok.RefreshToken, "kp_rt_") {
		t.Errorf("refresh token %q", tok.RefreshToken)
	}

	browsertest.Do(t, ctx, "my devices", chromedp.Navigate(d.base+"/account/devices"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	pageIs(t, ctx, "my devices", "es", "Sus dispositivos y aplicaciones", tvName, "Conectado con un código en su pantalla", tvScopeTextES)
	browsertest.Do(t, ctx, "screenshot my devices", esShot(t, "devices"))
	check()
}

// TestSpanishDeviceFlowSwitcher: an English browser, and the person picks
// Español on the first page; the choice sticks for the whole flow.
func TestSpanishDeviceFlowSwitcher(t *testing.T) {
	d := spanishSetup(t, "en-US,en")
	ctx := d.browser
	da, wait := d.startDevice(t)
	browsertest.Do(t, ctx, "open verification_uri_complete", chromedp.Navigate(da.VerificationURIComplete),
		chromedp.WaitVisible(chromedp.CSS("form.card button.primary")))
	pageIs(t, ctx, "confirm", "en", "Is this the code on your device?")
	browsertest.Do(t, ctx, "choose Español", chromedp.Click(chromedp.CSS(`form.langs button[value="es"]`)),
		chromedp.WaitVisible(chromedp.CSS(".lang-current[lang=es]")))
	// The switcher comes back to the same page, code and all.
	pageIs(t, ctx, "confirm", "es", "¿Es este el código de su dispositivo?", da.UserCode)
	browsertest.Do(t, ctx, "confirm", chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.ID("username")))
	pageIs(t, ctx, "sign-in", "es", "Iniciar sesión")
	d.signInSpanish(t, "alice", false)
	wait()
}

// TestSpanishDeviceFlowPreference: an English browser, and a person whose
// stored language is Spanish: the pages turn Spanish once she signs in.
func TestSpanishDeviceFlowPreference(t *testing.T) {
	d := spanishSetup(t, "en-US,en")
	ctx := d.browser
	da, wait := d.startDevice(t)
	browsertest.Do(t, ctx, "open verification_uri_complete", chromedp.Navigate(da.VerificationURIComplete),
		chromedp.WaitVisible(chromedp.CSS("form.card button.primary")),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.ID("username")))
	pageIs(t, ctx, "sign-in", "en", "Sign in to connect your device")
	d.signInSpanish(t, "rosa", false)
	wait()
}

// TestUILocalesOnAuthorize: an authorization request with ui_locales
// "fr-CA es" (OpenID Connect Core 3.1.2.1) gets its pages in Spanish, the
// first language keypad speaks, in an English browser.
func TestUILocalesOnAuthorize(t *testing.T) {
	d := spanishSetup(t, "en-US,en")
	ctx := d.browser
	web := mustJSON[clientJSON](t, d.e, "client", "create", "--name", "Green Valley Web", "--public",
		"--grant-types", "authorization_code", "--scopes", tvScope, "--redirect-uris", "http://127.0.0.1:9/cb", "--json")
	app := &oauth2.Config{ClientID: web.ClientID, RedirectURL: "http://127.0.0.1:9/cb", Scopes: []string{tvScope},
		Endpoint: oauth2.Endpoint{AuthURL: d.base + "/oauth2/authorize", TokenURL: d.base + "/oauth2/token"}}
	u := app.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("ui_locales", "fr-CA es"))

	browsertest.Do(t, ctx, "authorize", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID("username")))
	pageIs(t, ctx, "sign-in", "es", "Iniciar sesión", "Inicie sesión para continuar a Green Valley Web.")
	browsertest.Do(t, ctx, "sign in", chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePass),
		chromedp.Click(chromedp.CSS("form.card button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	pageIs(t, ctx, "consent", "es", "¿Permitir que Green Valley Web use su cuenta?", tvScopeTextES, "Elija lo que elija, volverá a")

	if code, body := httpGet(t, d.base+"/.well-known/openid-configuration"); code != 200 || !strings.Contains(body, `"ui_locales_supported":["en","es"]`) {
		t.Errorf("metadata (%d) lacks ui_locales_supported [en es]:\n%s", code, body)
	}

	// Without ui_locales the same browser reads English.
	u = app.AuthCodeURL("st2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	browsertest.Do(t, ctx, "authorize without ui_locales", chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	pageIs(t, ctx, "consent", "en", "Allow Green Valley Web to use your account?")
}

// TestSpanishCIBAPage: the CIBA approval page a text links to speaks the
// language of the person the request is for (Heather, who prefers
// Spanish), even in an English browser where nobody is signed in, with the
// scope in her words; the switcher still wins.
func TestSpanishCIBAPage(t *testing.T) {
	c := newCIBASetup(t, sqliteBackend.env(t))
	mustRun(t, c.e, "", "user", "update", c.heatherID, "--language", "es")
	mustRun(t, c.e, "", "scope", "update", usageScope, "--description-es", "leer su historial de consumo de energía (12 meses)")
	id, link := c.start(t)

	phone := browsertest.Start(t, chromedp.WindowSize(420, 860), chromedp.Flag("accept-lang", "en-US,en"))
	browsertest.Do(t, phone, "open the link from the text", chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)))
	pageIs(t, phone, "approval", "es", "¿Aprobar a Living Room TV?", "7391",
		"leer su historial de consumo de energía (12 meses)", "Pedido a las", "Aprobar", "Rechazar")
	browsertest.Do(t, phone, "screenshot", esShot(t, "ciba"))

	browsertest.Do(t, phone, "choose English", chromedp.Click(chromedp.CSS(`form.langs button[value="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(".lang-current[lang=en]")))
	pageIs(t, phone, "approval", "en", "Approve Living Room TV?", usageText)
	browsertest.Do(t, phone, "choose Español", chromedp.Click(chromedp.CSS(`form.langs button[value="es"]`)),
		chromedp.WaitVisible(chromedp.CSS(".lang-current[lang=es]")))
	browsertest.Do(t, phone, "approve", chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".result h1")))
	pageIs(t, phone, "approved", "es", "Aprobado", "Living Room TV ya puede continuar")
	if code, tok := c.poll(t, id); code != 200 || tok["access_token"] == nil {
		t.Errorf("poll after approval: %d %v", code, tok)
	}
}
