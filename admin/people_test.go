package admin_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
)

// person is the part of a person resource the tests read.
type person struct {
	ID                string `json:"id"`
	Username          string `json:"username"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	Phone             string `json:"phone"`
	Address           string `json:"address"`
	Account           string `json:"account"`
	PreferredLanguage string `json:"preferred_language"`
	Disabled          bool   `json:"disabled"`
	HasPassword       bool   `json:"has_password"`
	Identifiers       []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"identifiers"`
}

type personList struct {
	Items      []person `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

func TestPeople(t *testing.T) {
	e := newEnv(t, sqliteDB(t), func(c *config.Config) { c.OTP.Region = "US" })
	tok := e.token("ops", oauth.ScopeUsers)

	r := e.call(tok, "POST", "/admin/v1/people", map[string]any{
		"username": "heather", "name": "Heather", "email": "Heather@Example.COM", "phone": "(415) 555-0123",
		"account": "A-100", "preferred_language": "es",
	})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var h person
	r.json(t, &h)
	if h.Email != "heather@example.com" || h.Phone != "+14155550123" || h.PreferredLanguage != "es" || h.HasPassword || len(h.Identifiers) != 3 {
		t.Fatalf("created %+v: want the email and phone normalised as the CLI does, es, no password, 3 identifiers", h)
	}
	if r.header.Get("Location") != "/admin/v1/people/"+h.ID {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	etag := r.header.Get("ETag")
	e.call(tok, "POST", "/admin/v1/people", map[string]any{"username": "omar", "email": "omar@example.com", "address": "12 Elm St, Springfield 62701"})

	t.Run("ErrValidation", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
			want  string
		}{
			{"NothingToFindBy", map[string]any{"name": "X"}, "username", "give at least one of username, email, phone, address, account"},
			{"Phone", map[string]any{"phone": "12"}, "phone", "not a valid phone number"},
			{"Language", map[string]any{"username": "x", "preferred_language": "not a tag!"}, "preferred_language", "BCP 47"},
			{"ControlCharacter", map[string]any{"username": "x", "name": "A\nB"}, "name", "control character"},
			{"Unknown", map[string]any{"username": "x", "password": "secret"}, "password", "not a writable field"},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := e.call(tok, "POST", "/admin/v1/people", c.body).problem(t, 400)
				if len(p.Errors) == 0 || p.Errors[0].Field != c.field || !strings.Contains(p.Errors[0].Detail, c.want) {
					t.Errorf("problem %+v: want field %q saying %q", p, c.field, c.want)
				}
			})
		}
		e.call(tok, "POST", "/admin/v1/people", map[string]any{"username": "heather"}).problem(t, 409)
	})
	t.Run("Search", func(t *testing.T) {
		for q, want := range map[string]string{
			"email=HEATHER@example.com": "heather", "phone=415-555-0123": "heather", "account=A-100": "heather",
			"address=" + url.QueryEscape("12 elm street, springfield 62701"): "omar", "email=nobody@example.com": "",
			"username=heather": "heather", "username=Heather": "", "username=nobody": "",
		} {
			var l personList
			e.call(tok, "GET", "/admin/v1/people?"+q, nil).json(t, &l)
			got := ""
			for _, p := range l.Items {
				got += p.Username
			}
			if got != want {
				t.Errorf("search %s found %q, want %q", q, got, want)
			}
		}
		e.call(tok, "GET", "/admin/v1/people?email=a@example.com&phone=4155550123", nil).problem(t, 400)
		e.call(tok, "GET", "/admin/v1/people?phone=12", nil).problem(t, 400)
		e.call(tok, "GET", "/admin/v1/people?username=heather&email=heather@example.com", nil).problem(t, 400)
		e.call(tok, "GET", "/admin/v1/people?username=", nil).problem(t, 400)
	})
	t.Run("List", func(t *testing.T) {
		var first, second personList
		e.call(tok, "GET", "/admin/v1/people?limit=1", nil).json(t, &first)
		if len(first.Items) != 1 || first.NextCursor == "" {
			t.Fatalf("first page %+v: want one person and a cursor", first)
		}
		e.call(tok, "GET", "/admin/v1/people?limit=1&cursor="+first.NextCursor, nil).json(t, &second)
		if len(second.Items) != 1 || second.NextCursor != "" || second.Items[0].ID == first.Items[0].ID {
			t.Fatalf("second page %+v: want the other person and no cursor", second)
		}
	})
	t.Run("Get", func(t *testing.T) {
		r := e.call(tok, "GET", "/admin/v1/people/"+h.ID, nil)
		if r.status != 200 || r.header.Get("ETag") != etag {
			t.Fatalf("get: %d, ETag %q want %q", r.status, r.header.Get("ETag"), etag)
		}
		e.call(tok, "GET", "/admin/v1/people/nobody", nil).problem(t, 404)
	})
	t.Run("Channels", func(t *testing.T) {
		var l struct {
			Items []struct{ ID, Type, Hint string } `json:"items"`
		}
		r := e.call(tok, "GET", "/admin/v1/people/"+h.ID+"/channels", nil)
		r.json(t, &l)
		if len(l.Items) != 2 || l.Items[0].Type != "sms" || l.Items[0].Hint != "(•••) •••-0123" || l.Items[1].Type != "email" {
			t.Errorf("channels %+v: want sms then email, masked", l.Items)
		}
		if strings.Contains(string(r.body), "heather@example.com") || strings.Contains(string(r.body), "5550123") {
			t.Errorf("channels show a destination: %s", r.body)
		}
		e.call(tok, "GET", "/admin/v1/people/nobody/channels", nil).problem(t, 404)
	})
	t.Run("Patch", func(t *testing.T) {
		e.clock.Advance(time.Minute)
		r := e.call(tok, "PATCH", "/admin/v1/people/"+h.ID, map[string]any{"preferred_language": "en-US", "email": "h2@example.com"}, "If-Match", etag)
		var got person
		r.json(t, &got)
		if r.status != 200 || got.PreferredLanguage != "en-US" || got.Email != "h2@example.com" || got.Phone != "+14155550123" || got.Account != "A100" {
			t.Fatalf("patch: %d %+v: want the language and email changed, the rest kept", r.status, got)
		}
		var l personList
		e.call(tok, "GET", "/admin/v1/people?email=heather@example.com", nil).json(t, &l)
		if len(l.Items) != 0 {
			t.Errorf("the old email still finds %+v", l.Items)
		}
		e.call(tok, "PATCH", "/admin/v1/people/"+h.ID, map[string]any{"name": "stale"}, "If-Match", etag).problem(t, 412)
		etag = r.header.Get("ETag")
		e.call(tok, "PATCH", "/admin/v1/people/"+h.ID, map[string]any{"username": "omar"}).problem(t, 409)
	})
	t.Run("PatchKeepsIdentifiers", func(t *testing.T) {
		var l personList
		e.call(tok, "GET", "/admin/v1/people?limit=10", nil).json(t, &l)
		var omar person
		for _, p := range l.Items {
			if p.Username == "omar" {
				omar = p
			}
		}
		var got person
		e.call(tok, "PATCH", "/admin/v1/people/"+omar.ID, map[string]any{"name": "Omar"}).json(t, &got)
		if got.Name != "Omar" || fmt.Sprint(got.Identifiers) != fmt.Sprint(omar.Identifiers) {
			t.Errorf("after changing the name: %+v, want the identifiers %+v as they were", got, omar.Identifiers)
		}
	})
	t.Run("Put", func(t *testing.T) {
		r := e.call(tok, "PUT", "/admin/v1/people/"+h.ID, map[string]any{"username": "heather", "disabled": true}, "If-Match", etag)
		var got person
		r.json(t, &got)
		if r.status != 200 || !got.Disabled || got.Email != "" || got.Phone != "" || len(got.Identifiers) != 0 {
			t.Fatalf("put: %d %+v: want everything replaced", r.status, got)
		}
		etag = r.header.Get("ETag")
	})
	t.Run("SetPassword", func(t *testing.T) {
		e.call(tok, "PUT", "/admin/v1/people/"+h.ID+"/password", map[string]any{"password": "short"}).problem(t, 400)
		r := e.call(tok, "PUT", "/admin/v1/people/"+h.ID+"/password", map[string]any{"password": "correct horse battery staple"}, "If-Match", etag)
		var got person
		r.json(t, &got)
		if r.status != 200 || !got.HasPassword || strings.Contains(string(r.body), "argon2") {
			t.Fatalf("set password: %d %s", r.status, r.body)
		}
		s, err := e.srv.Store().GetSubject(t.Context(), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := password.Verify(s.PasswordHash, "correct horse battery staple"); !ok {
			t.Error("the stored hash does not verify the password")
		}
		e.call(tok, "PUT", "/admin/v1/people/"+h.ID+"/password", map[string]any{"password": "another good one"}, "If-Match", etag).problem(t, 412)
		etag = r.header.Get("ETag")
	})
	t.Run("Delete", func(t *testing.T) {
		e.call(tok, "DELETE", "/admin/v1/people/"+h.ID, nil, "If-Match", `"stale"`).problem(t, 412)
		if r := e.call(tok, "DELETE", "/admin/v1/people/"+h.ID, nil, "If-Match", etag); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		e.call(tok, "GET", "/admin/v1/people/"+h.ID, nil).problem(t, 404)
		e.call(tok, "DELETE", "/admin/v1/people/"+h.ID, nil).problem(t, 404)
	})
	t.Run("Idempotency", func(t *testing.T) {
		body := map[string]any{"username": "zoe"}
		first := e.call(tok, "POST", "/admin/v1/people", body, "Idempotency-Key", "p-1")
		again := e.call(tok, "POST", "/admin/v1/people", body, "Idempotency-Key", "p-1")
		if first.status != 201 || again.status != 201 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
		}
	})
}
