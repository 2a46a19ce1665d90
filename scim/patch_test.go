package scim_test

import (
	"net/http"
	"slices"
	"testing"
)

// patchOp is a PatchOp message with one operation.
func patchOp(op, path string, value any) map[string]any {
	o := map[string]any{"op": op}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{o},
	}
}

func emailValues(r reply) []string {
	var out []string
	list, _ := r.body["emails"].([]any)
	for _, e := range list {
		out = append(out, e.(map[string]any)["value"].(string))
	}
	return out
}

// TestPatch runs RFC 7644 §3.5.2's examples on a User's attributes.
func TestPatch(t *testing.T) {
	onEveryDB(t, func(t *testing.T, e *env) {
		u := bjensen()
		u["emails"] = []any{map[string]any{"value": "bjensen@example.com", "primary": true}}
		u["addresses"] = []any{map[string]any{"formatted": "100 Universal City Plaza, Hollywood, CA 91608"}}
		id := e.do("POST", "/Users", u).must(t, http.StatusCreated).str("id")
		path := "/Users/" + id

		// §3.5.2.1: add without a path, the value an object of attributes.
		r := e.do("PATCH", path, patchOp("add", "", map[string]any{
			"emails": []any{map[string]any{"value": "babs@jensen.org", "type": "home"}},
		})).must(t, http.StatusOK)
		if got := emailValues(r); !slices.Equal(got, []string{"bjensen@example.com", "babs@jensen.org"}) {
			t.Errorf("after add: emails %v", got)
		}
		// §3.5.2.2: remove the values a filter selects.
		r = e.do("PATCH", path, patchOp("remove", `emails[value eq "babs@jensen.org"]`, nil)).must(t, http.StatusOK)
		if got := emailValues(r); !slices.Equal(got, []string{"bjensen@example.com"}) {
			t.Errorf("after remove: emails %v", got)
		}
		// §3.5.2.3: replace a sub-attribute of the selected values.
		r = e.do("PATCH", path, patchOp("replace", `addresses[formatted co "91608"].formatted`, "1 Infinite Loop, Cupertino, CA 95014")).must(t, http.StatusOK)
		if addrs, _ := r.body["addresses"].([]any); len(addrs) != 1 || addrs[0].(map[string]any)["formatted"] != "1 INFINITE LOOP 95014" {
			t.Errorf("after replace: addresses %v", r.body["addresses"])
		}
		// Replace without a path; name parts recompose the name.
		r = e.do("PATCH", path, patchOp("replace", "", map[string]any{
			"name": map[string]any{"givenName": "Babs", "familyName": "Jensen"}, "preferredLanguage": "fr",
		})).must(t, http.StatusOK)
		if r.str("name.formatted") != "Babs Jensen" || r.str("preferredLanguage") != "fr" {
			t.Errorf("after replace: %s", r.raw)
		}
		// The extension's attributes by their full path.
		r = e.do("PATCH", path, patchOp("add", "urn:keypad:params:scim:schemas:extension:keypad:2.0:User:accountNumbers", []any{"A-1234"})).must(t, http.StatusOK)
		if ext, _ := r.body["urn:keypad:params:scim:schemas:extension:keypad:2.0:User"].(map[string]any); ext == nil {
			t.Errorf("after adding an account number: %s", r.raw)
		}
		// Remove a whole attribute.
		r = e.do("PATCH", path, patchOp("remove", "emails", nil)).must(t, http.StatusOK)
		if r.body["emails"] != nil {
			t.Errorf("after removing emails: %s", r.raw)
		}
		sub, err := e.srv.Store().GetSubject(t.Context(), id)
		if err != nil || sub.Email != "" || sub.Name != "Babs Jensen" {
			t.Errorf("stored %+v, %v; want no email left", sub, err)
		}
		// No value matches: noTarget, nothing written.
		before := e.do("GET", path, nil).header.Get("ETag")
		e.do("PATCH", path, patchOp("replace", `addresses[formatted co "nowhere"].formatted`, "x")).mustError(t, http.StatusBadRequest, "noTarget")
		if after := e.do("GET", path, nil).header.Get("ETag"); after != before {
			t.Errorf("a refused PATCH changed the User: ETag %s → %s", before, after)
		}
	})
}

// TestPatchEveryValue: a sub-attribute path without a filter
// (phoneNumbers.value) applies to every value.
func TestPatchEveryValue(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	u := bjensen()
	u["phoneNumbers"] = []any{map[string]any{"value": "(415) 555-0142"}}
	path := "/Users/" + e.do("POST", "/Users", u).must(t, http.StatusCreated).str("id")
	r := e.do("PATCH", path, patchOp("replace", "phoneNumbers.value", "+44 20 7946 0018")).must(t, http.StatusOK)
	if p, _ := r.body["phoneNumbers"].([]any); len(p) != 1 || p[0].(map[string]any)["value"] != "+442079460018" {
		t.Errorf("phoneNumbers %v, want the one number replaced", r.body["phoneNumbers"])
	}
	e.do("PATCH", path, patchOp("replace", "emails.value", "x@example.com")).mustError(t, http.StatusBadRequest, "noTarget")
}
