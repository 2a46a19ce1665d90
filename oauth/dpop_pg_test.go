package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/token/jose"
)

// TestDPoPReplayTwoInstancesPostgres: two keypad instances behind one
// issuer URL, sharing a PostgreSQL database, each refuse a proof the
// other accepted, and a proof raced at both gets tokens exactly once.
func TestDPoPReplayTwoInstancesPostgres(t *testing.T) {
	dsn := freshPostgresSchema(t)
	ctx := context.Background()
	clk := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	var urls []string
	var secret string
	for i := range 2 {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		sealer, err := token.NewSealer([]byte(strings.Repeat("s", 32)), nil)
		if err != nil {
			t.Fatal(err)
		}
		keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: clk.Now})
		if err := keys.Load(ctx); err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Issuer: testIssuer}, Deps{Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Now: clk.Now}, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		srv.Register(mux)
		ts := httptest.NewServer(mux)
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
		if i == 0 {
			secret = "kp_cs_two-instances"
			c := service("svc", keypad.FormatJWT, "read")
			c.SecretHash = keypad.SecretHash(secret)
			if err := st.CreateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	post := func(base, proof string) int {
		req, _ := http.NewRequest("POST", base+PathToken, strings.NewReader(url.Values{"grant_type": {keypad.GrantClientCredentials}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", secret)
		req.Header.Set("DPoP", proof)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	k := dpoptest.NewKey(t, jose.ES256)
	htu := testIssuer + PathToken // both instances serve the one issuer
	p := k.Proof(t, "POST", htu, "", clk.Now(), nil)
	if s := post(urls[0], p); s != http.StatusOK {
		t.Fatalf("first use at instance A: %d, want 200", s)
	}
	if s := post(urls[1], p); s != http.StatusBadRequest {
		t.Errorf("replay at instance B: %d, want 400", s)
	}

	raced := k.Proof(t, "POST", htu, "", clk.Now(), nil)
	statuses := raceProof(t, 16, func(i int) int { return post(urls[i%2], raced) })
	if statuses[http.StatusOK] != 1 || statuses[http.StatusBadRequest] != 15 {
		t.Errorf("one proof raced at two instances: statuses %v, want one 200 and fifteen 400", statuses)
	}
}
