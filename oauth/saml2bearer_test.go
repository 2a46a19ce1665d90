package oauth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"

	"github.com/keypadauth/keypad"
)

// TestSAML2BearerCrewjam: assertions made and signed by crewjam/saml's
// identity provider, an implementation independent of keypad, are
// traded for tokens for the person their NameID names.
func TestSAML2BearerCrewjam(t *testing.T) {
	e := newSAMLEnv(t, keypad.NameIDMapUsername)
	signer := sharedSAMLSigners()[0]
	t.Run("OK", func(t *testing.T) {
		r := e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil)), "usage:read")
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		claims := verifyWithJWKS(t, e.env, r.body["access_token"].(string))
		if claims["sub"] != "sub_alice" || claims["client_id"] != samlClientID || claims["scope"] != "usage:read" {
			t.Errorf("claims = %v, want sub sub_alice, client_id %s, scope usage:read", claims, samlClientID)
		}
		if _, ok := r.body["refresh_token"]; ok {
			t.Errorf("a refresh token without offline_access: %s", r.raw)
		}
	})
	t.Run("OKNoOfflineAccessByDefault", func(t *testing.T) {
		r := e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil)), "")
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if _, ok := r.body["refresh_token"]; ok || r.body["scope"] != "usage:read" {
			t.Errorf("without a scope parameter: %s; want scope usage:read and no refresh token", r.raw)
		}
	})
	t.Run("OKRefreshWithOfflineAccess", func(t *testing.T) {
		r := e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil)), "usage:read offline_access")
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		rt, _ := r.body["refresh_token"].(string)
		if !strings.HasPrefix(rt, "kp_rt_") {
			t.Fatalf("no refresh token with offline_access: %s", r.raw)
		}
		rr := e.post(PathToken, map[string][]string{"grant_type": {keypad.GrantRefreshToken}, "refresh_token": {rt}}, basic(samlClientID, e.secret))
		if rr.status != http.StatusOK {
			t.Errorf("refresh: got %d %s", rr.status, rr.raw)
		}
	})
	t.Run("ErrScope", func(t *testing.T) {
		r := e.exchange(encodeXML(t, crewjamAssertion(t, signer, e.clk.Now(), "alice", nil)), "admin")
		wantError(t, r, 400, "invalid_scope")
		evs, err := e.st.ListAuditEvents(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Type != "saml2_bearer.refused" || !strings.HasPrefix(evs[0].Detail, "check=scope idp="+samlIdPID+" assertion_id=id-") {
			t.Errorf("last audit event = %+v, want saml2_bearer.refused check=scope with the IdP and assertion ID", evs)
		}
	})
	t.Run("OKAudit", func(t *testing.T) {
		evs, err := e.st.ListAuditEvents(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for _, ev := range evs {
			if ev.Type == "saml2_bearer.succeeded" && ev.Subject == "sub_alice" && strings.Contains(ev.Detail, "idp="+samlIdPID) && strings.Contains(ev.Detail, "assertion_id=id-") {
				ok++
			}
		}
		if ok != 3 {
			t.Errorf("%d saml2_bearer.succeeded events naming the IdP and assertion, want 3: %v", ok, evs)
		}
	})
	t.Run("OKAttributeMapping", func(t *testing.T) {
		// crewjam puts the session's UserName in the uid attribute; bob's
		// NameID is a transient ID nobody has.
		if err := e.st.UpdateIdP(context.Background(), withMap(e.idp, "attribute:uid")); err != nil {
			t.Fatal(err)
		}
		defer e.st.UpdateIdP(context.Background(), e.idp)
		el := crewjamAssertion(t, signer, e.clk.Now(), "transient-7f3a", func(a *saml.Assertion) {
			a.AttributeStatements = []saml.AttributeStatement{{Attributes: []saml.Attribute{{Name: "uid", Values: []saml.AttributeValue{{Type: "xs:string", Value: "bob"}}}}}}
		})
		r := e.exchange(encodeXML(t, el), "")
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if got := verifyWithJWKS(t, e.env, r.body["access_token"].(string))["sub"]; got != "sub_bob" {
			t.Errorf("sub = %v, want sub_bob (by the uid attribute)", got)
		}
	})
}

func withMap(p *keypad.IdP, m string) *keypad.IdP {
	c := *p
	c.NameIDMap = m
	return &c
}

// TestSAML2BearerSubjects: the NameID names exactly one person under the
// IdP's mapping.
func TestSAML2BearerSubjects(t *testing.T) {
	signer := sharedSAMLSigners()[0]
	for _, tc := range []struct {
		name, mapping, nameID string
		want, says            string // want a subject, or an error saying says
	}{
		{"OKUsername", keypad.NameIDMapUsername, "alice", "sub_alice", ""},
		{"OKEmail", keypad.NameIDMapEmail, "Alice@Example.com", "sub_alice", ""},
		{"OKExternalID", keypad.NameIDMapExternalID, "1001", "sub_alice", ""},
		{"OKAuto", "", "bob@example.com", "sub_bob", ""},
		{"ErrUnknown", keypad.NameIDMapUsername, "carol", "", "names no keypad person (looked up as username)"},
		// "alice" is alice's username and bob's external ID.
		{"ErrAmbiguous", keypad.NameIDMapAuto, "alice", "", "names more than one keypad person"},
		{"ErrCommentInjection", keypad.NameIDMapEmail, "alice@example.com<!---->.evil.com", "", "names no keypad person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSAMLEnv(t, tc.mapping)
			el := crewjamAssertion(t, signer, e.clk.Now(), "PLACEHOLDER", nil)
			// A comment is not part of the canonical form the IdP signs,
			// so one put in after signing leaves the signature intact:
			// the NameID must read as the whole signed text,
			// alice@example.com.evil.com, never as its first part.
			signedName, _, _ := strings.Cut(tc.nameID, "<!---->")
			if _, after, ok := strings.Cut(tc.nameID, "<!---->"); ok {
				signedName += after
			}
			raw := strings.Replace(xmlString(t, el), "PLACEHOLDER", signedName, 1)
			raw = xmlString(t, mustResign(t, raw, signer))
			if !strings.Contains(raw, ">"+signedName+"<") {
				t.Fatalf("signed XML lacks NameID %s", signedName)
			}
			raw = strings.Replace(raw, ">"+signedName+"<", ">"+tc.nameID+"<", 1)
			r := e.exchange(encodeRaw(raw), "")
			if tc.says != "" {
				wantSAMLRefusal(t, r, tc.says)
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if got := verifyWithJWKS(t, e.env, r.body["access_token"].(string))["sub"]; got != tc.want {
				t.Errorf("sub = %v, want %s", got, tc.want)
			}
		})
	}
}

// TestSAML2BearerReplayRace: of many concurrent uses of one assertion,
// exactly one gets a token.
func TestSAML2BearerReplayRace(t *testing.T) {
	e := newSAMLEnv(t, keypad.NameIDMapUsername)
	raceSAML(t, []*samlEnv{e, e})
}

// raceSAML sends one assertion 16 times at once, spread over the
// servers, and wants exactly one token.
func raceSAML(t *testing.T, envs []*samlEnv) {
	t.Helper()
	a := encodeXML(t, crewjamAssertion(t, sharedSAMLSigners()[0], envs[0].clk.Now(), "alice", nil))
	const n = 16
	codes := make(chan int, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			codes <- envs[i%len(envs)].exchange(a, "").status
		}()
	}
	close(start)
	ok := 0
	for range n {
		if <-codes == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent uses got a token, want exactly 1", ok, n)
	}
}

// TestSAML2BearerConfig: the skew is bounded.
func TestSAML2BearerConfig(t *testing.T) {
	for _, skew := range []time.Duration{-time.Second, MaxSAMLSkew + time.Second} {
		if err := (SAML2BearerConfig{Skew: skew}).Validate(); err == nil {
			t.Errorf("skew %s validated", skew)
		}
	}
	if err := (SAML2BearerConfig{Skew: MaxSAMLSkew}).Validate(); err != nil {
		t.Errorf("skew %s: %v", MaxSAMLSkew, err)
	}
}

// TestSAML2BearerMetadata: the grant is advertised once it is on.
func TestSAML2BearerMetadata(t *testing.T) {
	e := newSAMLEnv(t, "")
	resp, err := e.ts.Client().Get(e.ts.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Grants []string `json:"grant_types_supported"`
	}
	decodeJSON(t, resp, &m)
	if !slices.Contains(m.Grants, keypad.GrantSAML2Bearer) {
		t.Errorf("grant_types_supported = %v, want saml2-bearer", m.Grants)
	}
}

// TestSAML2BearerSkew: the configured skew, not the default, decides how
// long after NotOnOrAfter an assertion is still taken.
func TestSAML2BearerSkew(t *testing.T) {
	signer := sharedSAMLSigners()[0]
	// crewjam's assertions end 90 s after they are made: this one ended
	// 150 s ago.
	made := func(e *samlEnv) string {
		return encodeXML(t, crewjamAssertion(t, signer, e.clk.Now().Add(-4*time.Minute), "alice", nil))
	}
	wide := setupSAML(t, newEnv(t, func(c *Config) { c.SAML2Bearer = &SAML2BearerConfig{Skew: 5 * time.Minute} }), keypad.NameIDMapUsername)
	if r := wide.exchange(made(wide), ""); r.status != http.StatusOK {
		t.Errorf("5m skew, 150 s late: got %d %s", r.status, r.raw)
	}
	narrow := newSAMLEnv(t, keypad.NameIDMapUsername)
	wantSAMLRefusal(t, narrow.exchange(made(narrow), ""), "expired at")
}
