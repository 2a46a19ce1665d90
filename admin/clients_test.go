package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/pgtest"
	"github.com/keypadauth/keypad/oauth"
	"golang.org/x/oauth2/clientcredentials"
)

// client is the part of a client resource the tests read.
type client struct {
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Public       bool      `json:"public"`
	GrantTypes   []string  `json:"grant_types"`
	Scopes       []string  `json:"scopes"`
	AccessTTL    int64     `json:"access_ttl"`
	DPoP         string    `json:"dpop"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func TestClients(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	tok := e.token("ops", oauth.ScopeClients)

	// Create: 201, Location, ETag, the secret once, and a secret that
	// works at the token endpoint.
	r := e.call(tok, "POST", "/admin/v1/clients", map[string]any{
		"client_id": "billing", "name": "Billing", "grant_types": []string{"client_credentials"},
		"scopes": []string{"profile"}, "access_ttl": 1800,
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var c client
	r.json(t, &c)
	if loc := r.header.Get("Location"); loc != "/admin/v1/clients/billing" {
		t.Errorf("Location %q", loc)
	}
	if !strings.HasPrefix(c.ClientSecret, keypad.PrefixClientSecret) || c.AccessTTL != 1800 || c.DPoP != "optional" {
		t.Errorf("created %+v: want a kp_cs_ secret, access_ttl 1800, dpop optional", c)
	}
	stored, err := e.srv.Store().GetClient(t.Context(), "billing")
	if err != nil || !keypad.SecretMatches(stored.SecretHash, c.ClientSecret) {
		t.Fatalf("stored client %v, %v: want the secret's hash", stored, err)
	}
	cc := clientcredentials.Config{ClientID: "billing", ClientSecret: c.ClientSecret, TokenURL: e.srv.URL() + "/oauth2/token"}
	if _, err := cc.Token(t.Context()); err != nil {
		t.Errorf("the created client's secret at the token endpoint: %v", err)
	}
	etag := r.header.Get("ETag")

	t.Run("Get", func(t *testing.T) {
		r := e.call(tok, "GET", "/admin/v1/clients/billing", nil)
		var got client
		r.json(t, &got)
		if r.status != 200 || got.ClientSecret != "" || got.Name != "Billing" || r.header.Get("ETag") != etag {
			t.Errorf("get: %d %+v ETag %q, want the client without secret, ETag %q", r.status, got, r.header.Get("ETag"), etag)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		p := e.call(tok, "GET", "/admin/v1/clients/nobody", nil).problem(t, 404)
		if !strings.Contains(p.Detail, `"nobody"`) {
			t.Errorf("detail %q does not name the client", p.Detail)
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			body  any
			field string
			want  string
		}{
			{"NoName", map[string]any{"grant_types": []string{"client_credentials"}}, "name", "name is required"},
			{"UnknownGrant", map[string]any{"name": "x", "grant_types": []string{"magic"}}, "grant_types", `unknown grant type "magic"`},
			{"PublicClientCredentials", map[string]any{"name": "x", "public": true, "grant_types": []string{"client_credentials"}}, "public", "client_credentials"},
			{"AccessTTL", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "access_ttl": 5}, "access_ttl", "access_ttl 5s is out of range"},
			{"Contradiction", map[string]any{"name": "x", "grant_types": []string{"device_code"}, "public": true, "refresh_no_expiry": true, "refresh_ttl": 86400 * 90},
				"refresh_no_expiry", "refresh_no_expiry and refresh_ttl 90d contradict each other"},
			{"ControlCharacter", map[string]any{"name": "TV\r\nBcc: x", "grant_types": []string{"device_code"}, "public": true}, "name", "control character"},
			{"UnknownField", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "colour": "red"}, "colour", "not a writable field"},
			{"ReadOnlyField", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "client_secret": "kp_cs_mine"}, "client_secret", "not a writable field"},
			{"Null", map[string]any{"name": nil, "grant_types": []string{"client_credentials"}}, "name", "is null"},
			{"WrongType", map[string]any{"name": 7, "grant_types": []string{"client_credentials"}}, "name", "must be a string"},
			{"ScopeWithSpace", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "scopes": []string{"a b"}}, "scopes", "without spaces"},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := e.call(tok, "POST", "/admin/v1/clients", c.body).problem(t, 400)
				if len(p.Errors) == 0 || p.Errors[0].Field != c.field || !strings.Contains(p.Errors[0].Detail, c.want) {
					t.Errorf("problem %+v: want field %q saying %q", p, c.field, c.want)
				}
			})
		}
		for name, body := range map[string]string{"NotJSON": "{", "Array": "[]", "Trailing": `{"name":"x"} {}`} {
			t.Run(name, func(t *testing.T) {
				e.call(tok, "POST", "/admin/v1/clients", body).problem(t, 400)
			})
		}
		t.Run("MediaType", func(t *testing.T) {
			e.call(tok, "POST", "/admin/v1/clients", `{"name":"x"}`, "Content-Type", "text/plain").problem(t, 415)
		})
		t.Run("TooLarge", func(t *testing.T) {
			e.call(tok, "POST", "/admin/v1/clients", `{"name":"`+strings.Repeat("x", 1<<20)+`"}`).problem(t, 413)
		})
		if n := countClients(t, e); n != 2 {
			t.Errorf("%d clients after refused creates, want 2 (ops, billing): nothing half-written", n)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		e.call(tok, "POST", "/admin/v1/clients", map[string]any{"client_id": "billing", "name": "B", "grant_types": []string{"client_credentials"}}).problem(t, 409)
	})
	t.Run("Patch", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		r := e.call(tok, "PATCH", "/admin/v1/clients/billing", map[string]any{"description": "invoices"}, "If-Match", etag)
		var got client
		r.json(t, &got)
		if r.status != 200 || got.Description != "invoices" || got.Name != "Billing" || got.AccessTTL != 1800 {
			t.Fatalf("patch: %d %+v: want only the description changed", r.status, got)
		}
		if r.header.Get("ETag") == etag || r.header.Get("ETag") == "" {
			t.Errorf("ETag after the patch %q, want a new one", r.header.Get("ETag"))
		}
		// The old ETag lost: 412, nothing written.
		e.call(tok, "PATCH", "/admin/v1/clients/billing", map[string]any{"description": "stale"}, "If-Match", etag).problem(t, 412)
		e.call(tok, "DELETE", "/admin/v1/clients/billing", nil, "If-Match", etag).problem(t, 412)
		e.call(tok, "POST", "/admin/v1/clients/billing/secret", nil, "If-Match", etag).problem(t, 412)
		etag = r.header.Get("ETag")
		// A weak ETag never matches (RFC 9110 §13.1.1).
		e.call(tok, "PATCH", "/admin/v1/clients/billing", map[string]any{"description": "weak"}, "If-Match", "W/"+etag).problem(t, 412)
		p := e.call(tok, "PATCH", "/admin/v1/clients/billing", map[string]any{"public": true}).problem(t, 400)
		if p.Errors[0].Field != "public" {
			t.Errorf("changing public: %+v", p)
		}
		e.call(tok, "PATCH", "/admin/v1/clients/billing", map[string]any{"client_id": "other"}).problem(t, 400)
		e.call(tok, "PATCH", "/admin/v1/clients/nobody", map[string]any{"description": "x"}).problem(t, 404)
	})
	t.Run("Put", func(t *testing.T) {
		r := e.call(tok, "PUT", "/admin/v1/clients/billing", map[string]any{
			"name": "Billing 2", "grant_types": []string{"client_credentials"}, "scopes": []string{}}, "If-Match", etag)
		var got client
		r.json(t, &got)
		if r.status != 200 || got.Name != "Billing 2" || got.Description != "" || got.AccessTTL != 0 || len(got.Scopes) != 0 {
			t.Fatalf("put: %d %+v: want the whole registration replaced", r.status, got)
		}
		etag = r.header.Get("ETag")
		e.call(tok, "PUT", "/admin/v1/clients/billing", map[string]any{"name": "x"}).problem(t, 400)
	})
	t.Run("RotateSecret", func(t *testing.T) {
		r := e.call(tok, "POST", "/admin/v1/clients/billing/secret", nil, "If-Match", etag)
		var got client
		r.json(t, &got)
		if r.status != 200 || got.ClientSecret == "" || got.ClientSecret == c.ClientSecret {
			t.Fatalf("rotate: %d %+v: want a new secret", r.status, got)
		}
		if _, err := cc.Token(t.Context()); err == nil {
			t.Error("the old secret still works after a rotation")
		}
		cc.ClientSecret = got.ClientSecret
		if _, err := cc.Token(t.Context()); err != nil {
			t.Errorf("the new secret: %v", err)
		}
		etag = r.header.Get("ETag")
		e.call(tok, "POST", "/admin/v1/clients", map[string]any{"client_id": "tv", "name": "TV", "public": true, "grant_types": []string{"device_code"}})
		e.call(tok, "POST", "/admin/v1/clients/tv/secret", nil).problem(t, 409)
		e.call(tok, "POST", "/admin/v1/clients/nobody/secret", nil).problem(t, 404)
	})
	t.Run("List", func(t *testing.T) {
		for i := range 5 {
			e.call(tok, "POST", "/admin/v1/clients", map[string]any{"client_id": fmt.Sprintf("svc-%d", i), "name": "S", "grant_types": []string{"client_credentials"}})
		}
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			path := "/admin/v1/clients?limit=3"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			var page struct {
				Items      []client `json:"items"`
				NextCursor string   `json:"next_cursor"`
			}
			r := e.call(tok, "GET", path, nil)
			r.json(t, &page)
			for _, c := range page.Items {
				if c.ClientSecret != "" {
					t.Errorf("a list shows the secret of %s", c.ClientID)
				}
				ids = append(ids, c.ClientID)
			}
			if cursor = page.NextCursor; cursor == "" || pages > 5 {
				break
			}
		}
		want := "billing ops svc-0 svc-1 svc-2 svc-3 svc-4 tv"
		if got := strings.Join(ids, " "); got != want {
			t.Errorf("listed %q, want %q", got, want)
		}
		for _, q := range []string{"limit=0", "limit=1001", "limit=x", "cursor=***", "colour=red", "limit=1&limit=2"} {
			e.call(tok, "GET", "/admin/v1/clients?"+q, nil).problem(t, 400)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if r := e.call(tok, "DELETE", "/admin/v1/clients/billing", nil, "If-Match", etag); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		e.call(tok, "GET", "/admin/v1/clients/billing", nil).problem(t, 404)
		e.call(tok, "DELETE", "/admin/v1/clients/billing", nil).problem(t, 404)
		if _, err := cc.Token(t.Context()); err == nil {
			t.Error("a deleted client still gets tokens")
		}
	})
}

func countClients(t *testing.T, e *env) int {
	cs, err := e.srv.Store().ListClients(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// TestClientsIdempotency: the same key and body replay the first answer
// (without the secret, which is never kept); another body is 422.
func TestClientsIdempotency(t *testing.T) { testIdempotency(t, sqliteDB(t)) }

// TestClientsIdempotencyPostgres is TestClientsIdempotency on PostgreSQL.
func TestClientsIdempotencyPostgres(t *testing.T) {
	testIdempotency(t, pgtest.Schema(t, "keypad_admin"))
}

func testIdempotency(t *testing.T, db string) {
	e := newEnv(t, db, nil)
	tok := e.token("ops", oauth.ScopeClients)
	body := map[string]any{"name": "Kiosk", "grant_types": []string{"client_credentials"}}
	first := e.call(tok, "POST", "/admin/v1/clients", body, "Idempotency-Key", "k-1")
	var c client
	first.json(t, &c)
	if first.status != 201 || c.ClientSecret == "" {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := e.call(tok, "POST", "/admin/v1/clients", body, "Idempotency-Key", "k-1")
	var replayed client
	again.json(t, &replayed)
	switch {
	case again.status != 201 || again.header.Get("Idempotent-Replayed") != "true":
		t.Fatalf("replay: %d %v", again.status, again.header)
	case replayed.ClientID != c.ClientID || replayed.ClientSecret != "":
		t.Errorf("replayed %+v: want the same client, without its secret", replayed)
	case again.header.Get("Location") != first.header.Get("Location") || again.header.Get("ETag") != first.header.Get("ETag"):
		t.Errorf("replayed headers %v, want the first's %v", again.header, first.header)
	}
	if n := countClients(t, e); n != 2 {
		t.Errorf("%d clients, want 2 (ops and one kiosk)", n)
	}
	e.call(tok, "POST", "/admin/v1/clients", map[string]any{"name": "Other", "grant_types": []string{"client_credentials"}},
		"Idempotency-Key", "k-1").problem(t, 422)
	e.call(tok, "POST", "/admin/v1/clients", body, "Idempotency-Key", "has space").problem(t, 400)
	// The key is the caller's: another admin client's k-1 is its own.
	other := e.token("ops2", oauth.ScopeAdmin)
	if r := e.call(other, "POST", "/admin/v1/clients", body, "Idempotency-Key", "k-1"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another caller's key: %d %v", r.status, r.header)
	}
	// A refused request is replayed as refused, and creates nothing later.
	bad := map[string]any{"name": "", "grant_types": []string{"client_credentials"}}
	e.call(tok, "POST", "/admin/v1/clients", bad, "Idempotency-Key", "k-2").problem(t, 400)
	e.call(tok, "POST", "/admin/v1/clients", bad, "Idempotency-Key", "k-2").problem(t, 400)
	// Kept 24 hours: after them, the same caller's key is free again.
	e.clock.Advance(24*time.Hour + time.Second)
	tok = e.token("ops", oauth.ScopeClients) // the first token expired meanwhile
	if r := e.call(tok, "POST", "/admin/v1/clients", body, "Idempotency-Key", "k-1"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a key after 24 hours: %d %v, want a new client", r.status, r.header)
	}
}

// TestClientsConcurrentUpdates: N writers PUT with the same ETag;
// exactly one wins, the others get 412.
func TestClientsConcurrentUpdates(t *testing.T) {
	testConcurrentUpdates(t, sqliteDB(t))
}

// TestClientsConcurrentUpdatesPostgres races the writers on PostgreSQL,
// where they are truly concurrent transactions.
func TestClientsConcurrentUpdatesPostgres(t *testing.T) {
	testConcurrentUpdates(t, pgtest.Schema(t, "keypad_admin"))
}

func testConcurrentUpdates(t *testing.T, db string) {
	e := newEnv(t, db, nil)
	tok := e.token("ops", oauth.ScopeClients)
	r := e.call(tok, "POST", "/admin/v1/clients", map[string]any{"client_id": "kiosk", "name": "K", "grant_types": []string{"client_credentials"}})
	etag := r.header.Get("ETag")
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.call(tok, "PUT", "/admin/v1/clients/kiosk", map[string]any{"name": fmt.Sprintf("writer %d", i),
				"grant_types": []string{"client_credentials"}}, "If-Match", etag)
			statuses[i] = r.status
		})
	}
	wg.Wait()
	won, lost := 0, 0
	winner := ""
	for i, s := range statuses {
		switch s {
		case 200:
			won++
			winner = fmt.Sprintf("writer %d", i)
		case 412:
			lost++
		default:
			t.Errorf("writer %d: status %d, want 200 or 412", i, s)
		}
	}
	if won != 1 || lost != n-1 {
		t.Fatalf("%d won, %d got 412, want 1 and %d", won, lost, n-1)
	}
	var got client
	e.call(tok, "GET", "/admin/v1/clients/kiosk", nil).json(t, &got)
	if got.Name != winner {
		t.Errorf("stored name %q, want the winner's %q", got.Name, winner)
	}
}
