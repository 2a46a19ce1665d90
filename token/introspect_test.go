package token

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestIntrospect(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	issue := func(c *keypad.Client, grant string) string {
		t.Helper()
		tok, _, err := e.iss.IssueAccess(ctx, AccessRequest{Client: c, Subject: "alice", Scopes: []string{"read"}, GrantID: grant})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if err := e.st.CreateGrant(ctx, &keypad.Grant{ID: "g-live", Subject: "alice", ClientID: "app", CreatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateGrant(ctx, &keypad.Grant{ID: "g-dead", Subject: "alice", ClientID: "app", CreatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	jwtLive := issue(jwtClient("app"), "g-live")
	jwtOfDeadGrant := issue(jwtClient("app"), "g-dead")
	jwtRevoked := issue(jwtClient("app"), "")
	opaqueLive := issue(opaqueClient("app"), "")
	opaqueRevoked := issue(opaqueClient("app"), "")
	refresh, _ := e.iss.IssueRefresh(ctx, RefreshRequest{Client: jwtClient("app"), Subject: "alice", Scopes: []string{"read"}})
	refreshUsed, _ := e.iss.IssueRefresh(ctx, RefreshRequest{Client: jwtClient("app"), Subject: "alice"})
	foreign := &Issuer{Issuer: "https://evil.example", Keys: e.iss.Keys, Store: e.st, Now: e.clk.Now}
	foreignTok, _, _ := foreign.IssueAccess(ctx, AccessRequest{Client: jwtClient("app"), Subject: "alice"})

	if err := e.st.RevokeGrant(ctx, "g-dead", e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(ctx, jwtRevoked, "app"); err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(ctx, opaqueRevoked, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ConsumeToken(ctx, keypad.TokenKey(refreshUsed), e.clk.Now()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		tok        string
		wantActive bool
		wantType   string
	}{
		{"OKJWT", jwtLive, true, "Bearer"},
		{"OKOpaque", opaqueLive, true, "Bearer"},
		// RFC 7662 §2.2 means an RFC 6749 §7.1 type; a refresh token has none.
		{"OKRefresh", refresh, true, ""},
		{"ErrUnknownOpaque", keypad.PrefixAccessToken + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false, ""},
		{"ErrGarbage", "hello", false, ""},
		{"ErrRevokedJTI", jwtRevoked, false, ""},
		{"ErrRevokedGrant", jwtOfDeadGrant, false, ""},
		{"ErrRevokedOpaque", opaqueRevoked, false, ""},
		{"ErrUsedRefresh", refreshUsed, false, ""},
		{"ErrForeignIssuer", foreignTok, false, ""},
		{"ErrTampered", jwtLive[:len(jwtLive)-4] + "AAAA", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := e.iss.Introspect(ctx, tt.tok)
			if err != nil {
				t.Fatal(err)
			}
			if in.Active != tt.wantActive || in.TokenType != tt.wantType {
				t.Fatalf("Introspect = %+v, want active=%v token_type=%q", in, tt.wantActive, tt.wantType)
			}
			if b, _ := json.Marshal(in); !in.Active && string(b) != `{"active":false}` {
				t.Errorf("inactive answer = %s, want only {\"active\":false}", b)
			}
			if in.Active && (in.ClientID != "app" || in.Sub != "alice" || in.Iss != testIssuer || in.Exp == 0 || in.Iat == 0) {
				t.Errorf("active answer = %+v, want client app, sub alice, iss, exp, iat", in)
			}
		})
	}
	t.Run("OKFields", func(t *testing.T) {
		in, _ := e.iss.Introspect(ctx, jwtLive)
		if in.Scope != "read" || in.GrantID != "g-live" || in.Jti == "" || len(in.Aud) != 1 || in.Aud[0] != testIssuer {
			t.Errorf("JWT introspection = %+v", in)
		}
	})
	t.Run("ErrDeletedClient", func(t *testing.T) {
		withClients := *e.iss
		withClients.Clients = e.st
		c := jwtClient("doomed")
		if err := e.st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		tok, _, err := withClients.IssueAccess(ctx, AccessRequest{Client: c, Subject: "doomed"})
		if err != nil {
			t.Fatal(err)
		}
		if in, _ := withClients.Introspect(ctx, tok); !in.Active {
			t.Fatal("token of a live client inactive")
		}
		if err := e.st.DeleteClient(ctx, "doomed"); err != nil {
			t.Fatal(err)
		}
		if in, _ := withClients.Introspect(ctx, tok); in.Active {
			t.Error("JWT of a deleted client still active")
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		e.clk.Advance(10 * time.Minute)
		for _, tok := range []string{jwtLive, opaqueLive} {
			if in, _ := e.iss.Introspect(ctx, tok); in.Active {
				t.Errorf("token active at its exp: %+v", in)
			}
		}
		if in, _ := e.iss.Introspect(ctx, refresh); !in.Active {
			t.Error("refresh token (48h) inactive after 10m")
		}
	})
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	e := newIssuerEnv(t)
	active := func(tok string) bool {
		t.Helper()
		in, err := e.iss.Introspect(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return in.Active
	}
	for _, c := range []*keypad.Client{jwtClient("owner"), opaqueClient("owner")} {
		t.Run("OKAccess"+string(c.TokenFormat), func(t *testing.T) {
			tok, _, _ := e.iss.IssueAccess(ctx, AccessRequest{Client: c, Subject: "s"})
			if err := e.iss.Revoke(ctx, tok, "intruder"); err != nil {
				t.Fatalf("Revoke by another client: %v, want nil", err)
			}
			if !active(tok) {
				t.Fatal("another client revoked the token")
			}
			if err := e.iss.Revoke(ctx, tok, "owner"); err != nil {
				t.Fatal(err)
			}
			if active(tok) {
				t.Fatal("token active after its owner revoked it")
			}
			if err := e.iss.Revoke(ctx, tok, "owner"); err != nil {
				t.Errorf("revoking twice: %v, want nil", err)
			}
		})
	}
	t.Run("OKRefreshTakesFamilyAndGrant", func(t *testing.T) {
		if err := e.st.CreateGrant(ctx, &keypad.Grant{ID: "g1", Subject: "s", ClientID: "owner", CreatedAt: e.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		c := jwtClient("owner")
		rt1, _ := e.iss.IssueRefresh(ctx, RefreshRequest{Client: c, Subject: "s", GrantID: "g1", FamilyID: "f1"})
		rt2, _ := e.iss.IssueRefresh(ctx, RefreshRequest{Client: c, Subject: "s", GrantID: "g1", FamilyID: "f1"})
		at, _, _ := e.iss.IssueAccess(ctx, AccessRequest{Client: c, Subject: "s", GrantID: "g1"})
		other, _ := e.iss.IssueRefresh(ctx, RefreshRequest{Client: c, Subject: "s", FamilyID: "f2"})
		if err := e.iss.Revoke(ctx, rt1, "owner"); err != nil {
			t.Fatal(err)
		}
		if active(rt1) || active(rt2) || active(at) {
			t.Errorf("after revoking a refresh token: rt1 %v, same family %v, grant's JWT %v; want all inactive", active(rt1), active(rt2), active(at))
		}
		if !active(other) {
			t.Error("a token of another family and no grant was revoked too")
		}
	})
	t.Run("OKUnknown", func(t *testing.T) {
		for _, tok := range []string{"", "garbage", "a.b.c", keypad.PrefixRefreshToken + "nope"} {
			if err := e.iss.Revoke(ctx, tok, "owner"); err != nil {
				t.Errorf("Revoke(%q) = %v, want nil", tok, err)
			}
		}
	})
}
