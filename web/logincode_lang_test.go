package web_test

import (
	"context"
	"strings"
	"testing"
)

// TestLoginCodeLanguage: the text of a sign-in code is in the page's
// language (here chosen by Accept-Language) unless the person stored a
// preference, which wins.
func TestLoginCodeLanguage(t *testing.T) {
	send := func(e *codeEnv) string {
		t.Helper()
		b := e.browser()
		b.header.Set("Accept-Language", "es-US,es;q=0.9")
		wantBody(t, b.get("/login/code"), `lang="es"`)
		wantRedirect(t, b.identify(heatherAddress, ""), "/login/code/send")
		wantRedirect(t, b.chooseChannel("Enviarme un mensaje de texto al (•••) •••-4821"), "/login/code/verify")
		return e.lastMessage().Body
	}
	t.Run("PageLanguage", func(t *testing.T) {
		e := newCodeEnv(t)
		if body := send(e); !strings.Contains(body, "para entrar en keypad") {
			t.Errorf("code text %q after a Spanish page, want it in Spanish", body)
		}
	})
	t.Run("PreferenceWins", func(t *testing.T) {
		e := newCodeEnv(t)
		ctx := context.Background()
		sub, err := e.store.GetSubject(ctx, "sub-heather")
		must(t, err)
		sub.PreferredLanguage = "en"
		must(t, e.store.UpdateSubject(ctx, sub))
		if body := send(e); !strings.Contains(body, "to sign in to keypad") {
			t.Errorf("code text %q for a person who prefers English, want English", body)
		}
	})
}
