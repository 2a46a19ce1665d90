package oauth_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/oauth"
)

// disable marks username disabled with a plain update, which (unlike
// ModifySubject) revokes nothing: what refuses the person afterwards is
// each flow's own check, which these tests are about.
func (e *flowEnv) disable(username string) {
	e.t.Helper()
	ctx := context.Background()
	sub, err := e.st.GetSubjectByUsername(ctx, username)
	must(e.t, err)
	sub.Disabled = true
	must(e.t, e.st.UpdateSubject(ctx, sub))
}

// TestDisabledPerson: a disabled person's right password is refused as a
// wrong one (page and password grant), and their refresh tokens are
// refused; disabling revoked them (docs/scim.md), so enabling the person
// again does not bring them back, while a new sign-in works.
func TestDisabledPerson(t *testing.T) {
	e := newFlowEnv(t)
	before := e.signIn("api:read offline_access")
	grant := e.password("legacy", "alice", alicePassword, "")
	wantOK(t, grant)
	wrongPage := e.agent().open(e.authURL(mustParams(e)), "alice", "wrong")
	wrongGrant := e.password("legacy", "alice", "wrong", "")
	e.disable("alice")

	t.Run("ErrPage", func(t *testing.T) {
		p := e.agent().open(e.authURL(mustParams(e)), "alice", alicePassword)
		if p.path != "/login" || p.status != http.StatusUnauthorized || p.status != wrongPage.status {
			t.Fatalf("sign-in of a disabled person: %d at %s, want %d at /login as for a wrong password", p.status, p.path, wrongPage.status)
		}
		if !strings.Contains(html.UnescapeString(p.body), failedText(wrongPage.body)) {
			t.Errorf("the page says something else than for a wrong password (%q)", failedText(wrongPage.body))
		}
	})
	t.Run("ErrPasswordGrant", func(t *testing.T) {
		r := e.password("legacy", "alice", alicePassword, "")
		wantErr(t, r, oauth.CodeInvalidGrant)
		if r.str("error_description") != wrongGrant.str("error_description") {
			t.Errorf("disabled: %s; wrong password: %s; want the same answer", r.raw, wrongGrant.raw)
		}
	})
	t.Run("ErrRefresh", func(t *testing.T) {
		for _, rt := range []string{before.str("refresh_token"), grant.str("refresh_token")} {
			wantErr(t, e.refresh("webapp", rt, nil), oauth.CodeInvalidGrant)
		}
		// Revoked with the disabling: enabled again, the person signs in
		// anew, and the old refresh token stays dead.
		ctx := context.Background()
		sub, err := e.st.GetSubjectByUsername(ctx, "alice")
		must(t, err)
		sub.Disabled = false
		must(t, e.st.UpdateSubject(ctx, sub))
		wantErr(t, e.refresh("webapp", before.str("refresh_token"), nil), oauth.CodeInvalidGrant)
		again := e.password("legacy", "alice", alicePassword, "")
		wantOK(t, again)
		wantOK(t, e.refresh("legacy", again.str("refresh_token"), nil))
	})
}

func mustParams(e *flowEnv) url.Values {
	p, _ := e.webParams("api:read")
	return p
}

// failedText is the error line a sign-in page shows.
func failedText(body string) string {
	_, rest, ok := strings.Cut(html.UnescapeString(body), `id="login-error" role="alert">`)
	msg, _, _ := strings.Cut(rest, "</p>")
	if !ok || msg == "" {
		return "\x00no error shown"
	}
	return msg
}
