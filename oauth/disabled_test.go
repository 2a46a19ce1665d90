package oauth

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// disableSubject marks a person disabled with a plain update, which
// revokes nothing: what hides them is each lookup's own check.
func disableSubject(t *testing.T, st keypad.SubjectStore, id string) {
	t.Helper()
	ctx := context.Background()
	s, err := st.GetSubject(ctx, id)
	if errors.Is(err, keypad.ErrNotFound) {
		s, err = st.GetSubjectByUsername(ctx, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Disabled = true
	if err := st.UpdateSubject(ctx, s); err != nil {
		t.Fatal(err)
	}
}

// TestOTPLookupDisabled: a disabled person is looked up as an unknown
// identifier is (a decoy, the same shape), and does not make an
// identifier they share ambiguous.
func TestOTPLookupDisabled(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	stranger := mustChallenge(t, e.lookup("nobody@example.com", "email"))
	disableSubject(t, e.st, "sub-heather")

	r := e.lookup("heather@example.com", "email")
	c := mustChallenge(t, r)
	if got, want := keysOf(r.body), []string{"channels", "expires_in", "otp_session"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lookup keys = %v, want %v", got, want)
	}
	if len(c.channels) != len(stranger.channels) {
		t.Errorf("channels %v, want as many as a stranger's decoy %v", c.channels, stranger.channels)
	}
	if o := e.session(c.session); !o.Decoy || o.Subject != "" {
		t.Errorf("session %+v, want a decoy naming nobody", o)
	}

	// Heather's housemate, at her address, is found alone.
	e.mustPerson("sub-hank", person{Name: "Hank", Phone: "(415) 867-1111", Address: heather.Address})
	c = mustChallenge(t, e.lookup(heather.Address, "address"))
	if o := e.session(c.session); o.Decoy || o.Subject != "sub-hank" {
		t.Errorf("session %+v, want Hank's", o)
	}
}

// TestCIBADisabled: a login_hint naming a disabled person answers as an
// unknown one and texts nobody; an id_token_hint naming one is
// unknown_user_id, as for a deleted person.
func TestCIBADisabled(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{})
	idToken, err := e.keys.Sign("ES256", typIDToken, idTokenClaims{
		Issuer: e.srv.issuer, Subject: "sub-heather", Audience: e.tv.ID,
		IssuedAt: e.clk.Now().Unix(), Expiry: e.clk.Now().Unix() + 600,
	})
	if err != nil {
		t.Fatal(err)
	}
	disableSubject(t, e.st, "sub-heather")
	before := len(e.twilio.Accepted())

	r := e.authorize(hint("(415) 867-4821"))
	if r.status != http.StatusOK || r.body["expires_in"] != 600.0 || r.body["interval"] != 5.0 || len(r.body) != 3 {
		t.Fatalf("disabled person's hint: %d %s, want the shape of a known one", r.status, r.raw)
	}
	if got := len(e.twilio.Accepted()); got != before {
		t.Errorf("a disabled person's hint sent %d texts", got-before)
	}
	wantError(t, e.authorize(map[string][]string{"id_token_hint": {idToken}}), http.StatusBadRequest, CodeUnknownUserID)
}

// TestJWTBearerDisabled: a partner's assertion naming a disabled person
// is refused as one naming nobody.
func TestJWTBearerDisabled(t *testing.T) {
	a := newAssertionEnv(t)
	if r := a.exchange("partner", a.rs256(a.claims()), nil); r.status != http.StatusOK {
		t.Fatalf("before: %d %s, want a token", r.status, r.raw)
	}
	disableSubject(t, a.st, a.claims()["sub"].(string))
	r := a.exchange("partner", a.rs256(a.claims()), nil)
	wantError(t, r, http.StatusBadRequest, CodeInvalidGrant)
	if desc, _ := r.body["error_description"].(string); !strings.Contains(desc, "sub names no keypad subject") {
		t.Errorf("error_description %q, want an unknown subject's", desc)
	}
}

// TestSAML2BearerDisabled: an IdP's assertion naming a disabled person
// names nobody; a name that was ambiguous because of them names the other
// person alone.
func TestSAML2BearerDisabled(t *testing.T) {
	signer := sharedSAMLSigners()[0]
	e := newSAMLEnv(t, keypad.NameIDMapAuto)
	disableSubject(t, e.st, "sub_bob")
	r := e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "bob@example.com", nil)), "")
	wantSAMLRefusal(t, r, "names no keypad person")
	// "alice" is alice's username and bob's external ID.
	r = e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil)), "")
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s, want alice's token", r.status, r.raw)
	}
	if got := verifyWithJWKS(t, e.env, r.body["access_token"].(string))["sub"]; got != "sub_alice" {
		t.Errorf("sub = %v, want sub_alice", got)
	}
}
