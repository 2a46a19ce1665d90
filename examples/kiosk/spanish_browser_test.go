package kiosk

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
	"github.com/keypadauth/keypad/notify"
)

// TestSpanishBrowser is the kiosk story in Spanish, in Chromium: Heather,
// who has no language on file, presses "Español"; every screen is in
// Spanish; the kiosk passes ui_locales=es, so her text arrives in Spanish
// in one GSM-7 segment; her audit names the months in Spanish; "Listo"
// leaves the kiosk in English for the next person.
func TestSpanishBrowser(t *testing.T) {
	e := newEnv(t, setup{})
	ctx := browsertest.Start(t)
	checkCSP := browsertest.WatchCSP(t, ctx)
	lang := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	mustRead := func(step string, want ...string) {
		t.Helper()
		text := browsertest.MainText(t, ctx)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Fatalf("%s: the screen reads %q, want %q", step, text, w)
			}
		}
	}

	browsertest.Do(t, ctx, "press Español",
		chromedp.Navigate(e.kiosk.URL),
		chromedp.Click(chromedp.CSS(`form[action="/lang"] button[value="es"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/lang"] button[value="en"]`)))
	if l := lang(); l != "es" {
		t.Errorf("html lang = %q, want es", l)
	}
	mustRead("welcome", "Auditoría energética gratis para su casa", "Su dirección")

	browsertest.Do(t, ctx, "look Heather up",
		chromedp.SendKeys(chromedp.ID("identifier"), "123 Main Street"),
		chromedp.Click(chromedp.CSS(`form[action="/lookup"] button`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/send"]`)))
	mustRead("channel", "¿Dónde le enviamos su código?", "Mensaje de texto a (•••) •••-4821")

	browsertest.Do(t, ctx, "ask for a text",
		chromedp.Click(chromedp.CSS(`form[action="/send"] button.primary`)),
		chromedp.WaitReady(chromedp.ID("otp")))
	mustRead("code", "Escriba su código", "Enviamos un código de 6 dígitos por mensaje de texto a (•••) •••-4821.", "Sirve durante 10 minutos.")

	sms := e.keypad.mustHaveSent(t, 1)[0]
	want := "es su codigo para que " + kioskName + " pueda " + usageWords + ". Vence en 10 minutos. ¿No fue usted? Ignore este mensaje."
	if sms.Channel != "sms" || !strings.HasSuffix(sms.Body, want) {
		t.Fatalf("the text = %q, want it to end %q", sms.Body, want)
	}
	if c := notify.CountSMS(sms.Body); c.Encoding != "GSM-7" || c.Segments != 1 || c.Chars > 160 {
		t.Errorf("the text is %s, %d characters, %d segments; want one GSM-7 segment", c.Encoding, c.Chars, c.Segments)
	}

	browsertest.Do(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.ID("otp"), sms.Code),
		chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)),
		// The audit's own form: every screen's idle dialog has a /done
		// form too, so that selector would match the code screen.
		chromedp.WaitReady(chromedp.ID("chart-title")))
	mustRead("audit", "Su auditoría energética", "En los últimos 12 meses usó", "Formas de ahorrar", "Cambie a focos LED")
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("chart-title").textContent`))
	if err != nil || !strings.HasPrefix(title, "Consumo de electricidad por mes, de ") {
		t.Errorf("chart title %q (%v), want Spanish", title, err)
	}

	browsertest.Do(t, ctx, "press Listo",
		chromedp.Click(chromedp.CSS(`form.stack[action="/done"] button`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	mustRead("goodbye", "¡Gracias! Se olvidó todo sobre su visita.")
	browsertest.Do(t, ctx, "the next person", chromedp.Navigate(e.kiosk.URL), chromedp.WaitReady(chromedp.ID("identifier")))
	if l := lang(); l != "en" {
		t.Errorf("after Listo the kiosk is in %q, want English for the next person", l)
	}
	mustRead("next welcome", "Your street address")
	checkCSP()
}
