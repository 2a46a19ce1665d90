package scim_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/password"
)

const bjensenPassword = "correct horse battery staple"

// legacyApp registers a client of the password grant with refresh
// tokens, and gives userName a password, as `keypad user set-password`
// does; it returns the client's OAuth configuration.
func (e *env) legacyApp(userName string) *oauth2.Config {
	e.t.Helper()
	ctx := context.Background()
	secret := keypad.PrefixClientSecret + strings.Repeat("l", 40)
	c := &keypad.Client{ID: "legacy", Name: "Legacy", GrantTypes: []string{keypad.GrantPassword, keypad.GrantRefreshToken},
		Scopes: []string{"read"}, SecretHash: keypad.SecretHash(secret), CreatedAt: e.clk.Now(), UpdatedAt: e.clk.Now()}
	if err := e.srv.Store().CreateClient(ctx, c); err != nil {
		e.t.Fatal(err)
	}
	sub, err := e.srv.Store().GetSubjectByUsername(ctx, userName)
	if err != nil {
		e.t.Fatal(err)
	}
	if sub.PasswordHash, err = password.Hash(bjensenPassword, rand.Reader); err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.Store().UpdateSubject(ctx, sub); err != nil {
		e.t.Fatal(err)
	}
	return &oauth2.Config{ClientID: "legacy", ClientSecret: secret, Scopes: []string{"read"},
		Endpoint: oauth2.Endpoint{TokenURL: e.srv.URL() + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
}

// refresh trades a refresh token for new tokens.
func refresh(cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	return cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
}

func wantInvalidGrant(t *testing.T, what string, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("%s: %v, want invalid_grant", what, err)
	}
}

// TestDeactivation: active:false (by PATCH or by PUT) ends the person's
// grants at once: their refresh token stops working and their password no
// longer signs them in; active:true lets them sign in again, while what
// was revoked stays revoked. On both databases.
func TestDeactivation(t *testing.T) {
	for _, how := range []string{"PATCH", "PUT"} {
		t.Run(how, func(t *testing.T) {
			onEveryDB(t, func(t *testing.T, e *env) {
				id := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated).str("id")
				app := e.legacyApp("bjensen")
				tok, err := app.PasswordCredentialsToken(context.Background(), "bjensen", bjensenPassword)
				if err != nil || tok.RefreshToken == "" {
					t.Fatalf("password grant: %v, %+v", err, tok)
				}
				if tok, err = refresh(app, tok.RefreshToken); err != nil {
					t.Fatalf("refresh while active: %v", err)
				}

				off := bjensen()
				off["active"] = false
				var r reply
				if how == "PATCH" {
					r = e.do("PATCH", "/Users/"+id, patchOp("replace", "", map[string]any{"active": false}))
				} else {
					r = e.do("PUT", "/Users/"+id, off)
				}
				if r.must(t, http.StatusOK).body["active"] != false {
					t.Errorf("after deactivating: %s", r.raw)
				}
				_, err = refresh(app, tok.RefreshToken)
				wantInvalidGrant(t, "refresh after deactivation", err)
				_, err = app.PasswordCredentialsToken(context.Background(), "bjensen", bjensenPassword)
				wantInvalidGrant(t, "password grant after deactivation", err)
				grants, err := e.srv.Store().ListGrants(t.Context(), id, "")
				if err != nil || len(grants) == 0 {
					t.Fatalf("grants %v, %v", grants, err)
				}
				for _, g := range grants {
					if g.RevokedAt.IsZero() {
						t.Errorf("grant %s not revoked", g.ID)
					}
				}

				e.do("PATCH", "/Users/"+id, patchOp("replace", "active", true)).must(t, http.StatusOK)
				_, err = refresh(app, tok.RefreshToken)
				wantInvalidGrant(t, "an old refresh token after reactivation", err)
				if _, err := app.PasswordCredentialsToken(context.Background(), "bjensen", bjensenPassword); err != nil {
					t.Errorf("password grant after reactivation: %v", err)
				}
			})
		})
	}
}
