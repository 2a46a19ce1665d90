package main

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store"
)

// grantFixture stores, next to the CLI, a person with three grants (two
// of client "app", one of "tv"), each with a refresh token.
func grantFixture(t *testing.T, c cli) (tokens map[string][]byte) {
	t.Helper()
	c.mustRun(t, "", "user", "create", "--username", "alice")
	c.mustRun(t, "", "client", "create", "--id", "app", "--name", "App", "--public", "--grant-types", "authorization_code",
		"--redirect-uris", "http://127.0.0.1/cb")
	c.mustRun(t, "", "client", "create", "--id", "tv", "--name", "TV", "--public", "--grant-types", "device_code")
	u := cliJSON[userJSON](t, c, "user", "get", "alice", "--json")
	ctx := context.Background()
	st, err := store.Open(ctx, c.db["KEYPAD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	tokens = map[string][]byte{}
	for i, g := range []*keypad.Grant{
		{ID: "gr_laptop", ClientID: "app", Flow: keypad.GrantAuthorizationCode},
		{ID: "gr_phone", ClientID: "app", Flow: keypad.GrantAuthorizationCode},
		{ID: "gr_tv", ClientID: "tv", Flow: keypad.GrantDeviceCode},
	} {
		g.Subject, g.Scopes, g.CreatedAt = u.ID, []string{"api:read"}, now.Add(time.Duration(i)*time.Second)
		if err := st.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		hash := keypad.TokenKey(tokenValue(keypad.PrefixRefreshToken, g.ID))
		if err := st.CreateToken(ctx, &keypad.Token{Hash: hash, Kind: keypad.KindRefresh, ClientID: g.ClientID,
			Subject: u.ID, GrantID: g.ID, FamilyID: "fam-" + g.ID, IssuedAt: now}); err != nil {
			t.Fatal(err)
		}
		tokens[g.ID] = hash
	}
	return tokens
}

// revoked reports which grants' refresh tokens are revoked.
func revoked(t *testing.T, e env, tokens map[string][]byte) []string {
	t.Helper()
	st, err := store.Open(context.Background(), e["KEYPAD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []string
	for id, hash := range tokens {
		tok, err := st.GetToken(context.Background(), hash)
		if err != nil {
			t.Fatal(err)
		}
		if !tok.RevokedAt.IsZero() {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func TestGrantList(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		grantFixture(t, c)
		gs := cliJSON[[]grantJSON](t, c, "grant", "list", "--subject", "alice", "--json")
		var ids []string
		for _, g := range gs {
			ids = append(ids, g.ID)
		}
		if want := []string{"gr_tv", "gr_phone", "gr_laptop"}; !slices.Equal(ids, want) {
			t.Errorf("grant list --subject alice = %v, want %v (newest first)", ids, want)
		}
		gs = cliJSON[[]grantJSON](t, c, "grant", "list", "--client", "tv", "--json")
		if len(gs) != 1 || gs[0].ID != "gr_tv" || gs[0].Flow != keypad.GrantDeviceCode {
			t.Errorf("grant list --client tv = %+v", gs)
		}
		out := c.mustRun(t, "", "grant", "list", "--client", "app")
		if !strings.Contains(out, "gr_laptop") || !strings.Contains(out, "authorization_code") || strings.Contains(out, "gr_tv") {
			t.Errorf("grant list --client app printed\n%s", out)
		}
		for _, args := range [][]string{
			{"grant", "list"},
			{"grant", "list", "--subject", "alice", "--client", "app"},
			{"grant", "list", "--subject", "nobody"},
			{"grant", "list", "--client", "nothing"},
		} {
			if _, err := c.run(t, "", args...); err == nil {
				t.Errorf("keypad %s succeeded, want an error", strings.Join(args, " "))
			}
		}
	})
}

func TestTokenRevoke(t *testing.T) {
	t.Run("OKGrant", func(t *testing.T) {
		inModes(t, func(t *testing.T, c cli) {
			tokens := grantFixture(t, c)
			out := c.mustRun(t, "", "token", "revoke", "--grant", "gr_phone")
			if !strings.Contains(out, "revoked grant gr_phone") {
				t.Errorf("printed %q", out)
			}
			if got := revoked(t, c.db, tokens); !slices.Equal(got, []string{"gr_phone"}) {
				t.Errorf("revoked %v, want only gr_phone", got)
			}
			gs := cliJSON[[]grantJSON](t, c, "grant", "list", "--subject", "alice", "--all", "--json")
			for _, g := range gs {
				if g.RevokedAt.IsZero() == (g.ID == "gr_phone") {
					t.Errorf("grant %s revoked_at = %v", g.ID, g.RevokedAt)
				}
			}
		})
	})
	t.Run("OKClient", func(t *testing.T) {
		inModes(t, func(t *testing.T, c cli) {
			tokens := grantFixture(t, c)
			got := cliJSON[revokeJSON](t, c, "token", "revoke", "--client", "app", "--json")
			slices.Sort(got.RevokedGrants)
			if !slices.Equal(got.RevokedGrants, []string{"gr_laptop", "gr_phone"}) {
				t.Errorf("revoked %v", got.RevokedGrants)
			}
			if got := revoked(t, c.db, tokens); !slices.Equal(got, []string{"gr_laptop", "gr_phone"}) {
				t.Errorf("revoked tokens of %v, want the app's two grants", got)
			}
		})
	})
	t.Run("OKSubject", func(t *testing.T) {
		inModes(t, func(t *testing.T, c cli) {
			tokens := grantFixture(t, c)
			c.mustRun(t, "", "token", "revoke", "--subject", "alice")
			if got := revoked(t, c.db, tokens); len(got) != 3 {
				t.Errorf("revoked tokens of %v, want all three grants", got)
			}
			if out := c.mustRun(t, "", "token", "revoke", "--subject", "alice"); !strings.Contains(out, "nothing to revoke") {
				t.Errorf("second revoke printed %q", out)
			}
		})
	})
	t.Run("OKValue", func(t *testing.T) {
		inModes(t, func(t *testing.T, c cli) {
			tokens := grantFixture(t, c)
			// An opaque access token of client_credentials: no person, no
			// grant, so only its value names it.
			st, err := store.Open(context.Background(), c.db["KEYPAD_DB"])
			if err != nil {
				t.Fatal(err)
			}
			machine := tokenValue(keypad.PrefixAccessToken, "machine")
			access := keypad.TokenKey(machine)
			err = st.CreateToken(context.Background(), &keypad.Token{Hash: access, Kind: keypad.KindAccess, ClientID: "tv",
				IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			out := c.mustRun(t, machine+"\n", "token", "revoke", "--value-stdin")
			if !strings.Contains(out, "revoked the access token of client tv") || strings.Contains(out, "kp_at_") {
				t.Errorf("printed %q", out)
			}
			tokens["machine"] = access
			if got := revoked(t, c.db, tokens); !slices.Equal(got, []string{"machine"}) {
				t.Errorf("revoked %v, want only the machine's access token", got)
			}

			var got revokeJSON
			mustUnmarshal(t, []byte(c.mustRun(t, tokenValue(keypad.PrefixRefreshToken, "gr_phone")+"\n", "token", "revoke", "--value-stdin", "--json")), &got)
			if got.RevokedToken == nil || got.RevokedToken.Kind != "refresh" || got.RevokedToken.ClientID != "app" ||
				!slices.Equal(got.RevokedGrants, []string{"gr_phone"}) {
				t.Errorf("revoke a refresh token by value: %+v, want app's refresh token and grant gr_phone", got)
			}
			if got := revoked(t, c.db, tokens); !slices.Equal(got, []string{"gr_phone", "machine"}) {
				t.Errorf("revoked %v, want gr_phone's refresh token too", got)
			}
			if _, err := c.run(t, "kp_rt_not-issued-here\n", "token", "revoke", "--value-stdin"); err == nil || !strings.Contains(err.Error(), "no live token") {
				t.Errorf("an unknown value: %v, want no live token", err)
			}
		})
	})
	t.Run("ErrUsage", func(t *testing.T) {
		inModes(t, func(t *testing.T, c cli) {
			for _, args := range [][]string{
				{"token", "revoke"},
				{"token", "revoke", "--grant", "g", "--client", "c"},
				{"token", "revoke", "--grant", "gr_nope"},
				{"token", "revoke", "--grant", "gr_phone", "--value-stdin"},
				{"token", "revoke", "--value-stdin"},
			} {
				if _, err := c.run(t, "", args...); err == nil {
					t.Errorf("keypad %s succeeded, want an error", strings.Join(args, " "))
				}
			}
		})
	})
}

// tokenValue is a token as keypad issues it (its issue time and 256
// bits after the prefix), the same for the same name, so a test can
// store it under keypad.TokenKey and present it later.
func tokenValue(prefix, name string) string {
	sum := sha256.Sum256([]byte(name))
	return keypad.NewTokenSecret(prefix, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), sum[:])
}
