package scim_test

import (
	"net/http"
	"strings"
	"testing"
)

// bjensen is RFC 7644 §3.3's example User.
func bjensen() map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":   "bjensen",
		"externalId": "bjensen",
		"name": map[string]any{
			"formatted":  "Ms. Barbara J Jensen III",
			"familyName": "Jensen",
			"givenName":  "Barbara",
		},
	}
}

// TestCreateUser is RFC 7644 §3.3's example: 201, the User with its id
// and meta, Location and ETag headers matching meta.
func TestCreateUser(t *testing.T) {
	onEveryDB(t, func(t *testing.T, e *env) {
		r := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated)
		id := r.str("id")
		if id == "" || r.str("userName") != "bjensen" || r.str("externalId") != "bjensen" || r.str("name.formatted") != "Ms. Barbara J Jensen III" {
			t.Errorf("created %s", r.raw)
		}
		if r.body["active"] != true {
			t.Errorf("active = %v, want true for a new User", r.body["active"])
		}
		loc := e.base + "/Users/" + id
		if r.header.Get("Location") != loc || r.str("meta.location") != loc {
			t.Errorf("Location %q, meta.location %q, want %q", r.header.Get("Location"), r.str("meta.location"), loc)
		}
		if r.str("meta.resourceType") != "User" || r.str("meta.created") != "2026-12-02T12:00:00Z" || r.str("meta.lastModified") != r.str("meta.created") {
			t.Errorf("meta %v", r.body["meta"])
		}
		if v := r.str("meta.version"); !strings.HasPrefix(v, `W/"`) || r.header.Get("ETag") != v {
			t.Errorf("ETag %q, meta.version %q: want one weak tag", r.header.Get("ETag"), v)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
			t.Errorf("Content-Type %q", ct)
		}

		got := e.do("GET", "/Users/"+id, nil).must(t, http.StatusOK)
		if got.str("userName") != "bjensen" || got.header.Get("ETag") != r.header.Get("ETag") {
			t.Errorf("GET %s: %s", id, got.raw)
		}
		// The person exists for keypad itself: the CLI's way of finding them.
		sub, err := e.srv.Store().GetSubjectByUsername(t.Context(), "bjensen")
		if err != nil || sub.ID != id || sub.Name != "Ms. Barbara J Jensen III" || sub.ExternalID != "bjensen" {
			t.Errorf("stored %+v, %v", sub, err)
		}
	})
}

// TestUserMapping: every attribute keypad keeps goes in and comes out,
// the identifiers normalised as the CLI and the import normalise them,
// and the OTP lookup's index holds them.
func TestUserMapping(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	u := bjensen()
	u["name"] = map[string]any{"givenName": "Barbara", "familyName": "Jensen"}
	u["emails"] = []any{
		map[string]any{"value": "Babs@Example.ORG"},
		map[string]any{"value": "BJensen@Example.com", "type": "work", "primary": true},
	}
	u["phoneNumbers"] = []any{map[string]any{"value": "(415) 555-0142", "type": "mobile"}}
	u["addresses"] = []any{map[string]any{"streetAddress": "123 Main St", "locality": "Springfield", "region": "IL", "postalCode": "62701"}}
	u["preferredLanguage"] = "es-MX"
	u["urn:keypad:params:scim:schemas:extension:keypad:2.0:User"] = map[string]any{"accountNumbers": []any{"1002-003 22"}}
	r := e.do("POST", "/Users", u).must(t, http.StatusCreated)

	sub, err := e.srv.Store().GetSubject(t.Context(), r.str("id"))
	if err != nil {
		t.Fatal(err)
	}
	if sub.Name != "Barbara Jensen" || sub.Email != "bjensen@example.com" || sub.Phone != "+14155550142" || sub.PreferredLanguage != "es-MX" {
		t.Errorf("stored name %q, email %q, phone %q, language %q", sub.Name, sub.Email, sub.Phone, sub.PreferredLanguage)
	}
	want := map[string]bool{"email:babs@example.org": true, "email:bjensen@example.com": true, "phone:+14155550142": true, "account:100200322": true}
	for _, id := range sub.Identifiers {
		delete(want, string(id.Type)+":"+id.Value)
	}
	if len(want) != 0 {
		t.Errorf("identifiers %v lack %v", sub.Identifiers, want)
	}
	emails, _ := r.body["emails"].([]any)
	if len(emails) != 2 || emails[1].(map[string]any)["primary"] != true || emails[0].(map[string]any)["primary"] != false {
		t.Errorf("emails %v, want the second primary", emails)
	}
	addrs, _ := r.body["addresses"].([]any)
	if len(addrs) != 1 {
		t.Fatalf("addresses %v, want one (the street-only key is not shown)", addrs)
	}
	// The formatted address is the OTP lookup's key: searching by what a
	// person types finds them.
	formatted := addrs[0].(map[string]any)["formatted"].(string)
	l := e.do("GET", "/Users?filter="+urlq(`addresses.formatted eq "123 main street, springfield il 62701"`), nil).must(t, http.StatusOK)
	if l.body["totalResults"] != 1.0 {
		t.Errorf("filter by the typed address (stored %q): %s", formatted, l.raw)
	}
	ext, _ := r.body["urn:keypad:params:scim:schemas:extension:keypad:2.0:User"].(map[string]any)
	if accts, _ := ext["accountNumbers"].([]any); len(accts) != 1 || accts[0] != "100200322" {
		t.Errorf("extension %v", ext)
	}
}

// TestReplaceUser is PUT (RFC 7644 §3.5.1): attributes not sent are
// cleared, the ID, creation time and password stay.
func TestReplaceUser(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	u := bjensen()
	u["emails"] = []any{map[string]any{"value": "bjensen@example.com"}}
	id := e.do("POST", "/Users", u).must(t, http.StatusCreated).str("id")
	e.clk.Advance(60e9)
	put := bjensen()
	put["userName"] = "barbara"
	delete(put, "externalId")
	r := e.do("PUT", "/Users/"+id, put).must(t, http.StatusOK)
	if r.str("userName") != "barbara" || r.str("externalId") != "" || r.body["emails"] != nil {
		t.Errorf("after PUT: %s", r.raw)
	}
	if r.str("meta.created") != "2026-12-02T12:00:00Z" || r.str("meta.lastModified") != "2026-12-02T12:01:00Z" {
		t.Errorf("meta after PUT: %v", r.body["meta"])
	}
	e.do("PUT", "/Users/nobody", put).mustError(t, http.StatusNotFound, "")
}

// TestDeleteUser is DELETE (RFC 7644 §3.6): 204, then 404.
func TestDeleteUser(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	id := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated).str("id")
	e.do("DELETE", "/Users/"+id, nil).must(t, http.StatusNoContent)
	e.do("GET", "/Users/"+id, nil).mustError(t, http.StatusNotFound, "")
	e.do("DELETE", "/Users/"+id, nil).mustError(t, http.StatusNotFound, "")
}

// TestDiscovery: ServiceProviderConfig says what is supported (ETags,
// PATCH, filters; no bulk), ResourceTypes lists User with keypad's
// extension, and Schemas serves both schemas with only the attributes
// keypad keeps.
func TestDiscovery(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	spc := e.do("GET", "/ServiceProviderConfig", nil).must(t, http.StatusOK)
	for _, f := range []string{"etag", "patch", "filter"} {
		if m, _ := spc.body[f].(map[string]any); m["supported"] != true {
			t.Errorf("%s not supported: %s", f, spc.raw)
		}
	}
	if m, _ := spc.body["bulk"].(map[string]any); m["supported"] != false {
		t.Errorf("bulk: %v", m)
	}
	rt := e.do("GET", "/ResourceTypes/User", nil).must(t, http.StatusOK)
	if rt.str("endpoint") != "/Users" || !strings.Contains(rt.raw, "urn:keypad:params:scim:schemas:extension:keypad:2.0:User") {
		t.Errorf("resource type %s", rt.raw)
	}
	s := e.do("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).must(t, http.StatusOK)
	for _, want := range []string{`"userName"`, `"emails"`, `"phoneNumbers"`, `"addresses"`, `"active"`, `"preferredLanguage"`} {
		if !strings.Contains(s.raw, want) {
			t.Errorf("User schema lacks %s", want)
		}
	}
	if strings.Contains(s.raw, `"title"`) || strings.Contains(s.raw, `"password"`) {
		t.Errorf("User schema lists attributes keypad does not keep: %s", s.raw)
	}
	e.do("GET", "/Schemas/urn:keypad:params:scim:schemas:extension:keypad:2.0:User", nil).must(t, http.StatusOK)
}
