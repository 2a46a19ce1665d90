package scim_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestErrors: RFC 7644 §3.12's error responses, each with its status and
// scimType, and nothing written.
func TestErrors(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	id := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated).str("id")
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		scimType           string
	}{
		{"InvalidFilter", "GET", "/Users?filter=" + urlq(`userName eq`), nil, 400, "invalidFilter"},
		{"FilterOnAnAttributeKeypadDoesNotKeep", "GET", "/Users?filter=" + urlq(`title pr`), nil, 400, "invalidFilter"},
		{"Uniqueness", "POST", "/Users", bjensen(), 409, "uniqueness"},
		{"InvalidSyntax", "POST", "/Users", `{"schemas":`, 400, "invalidSyntax"},
		{"MissingSchema", "POST", "/Users", `{"userName":"x"}`, 400, "invalidSyntax"},
		{"MissingUserName", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}}, 400, "invalidValue"},
		{"BadPhone", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "x",
			"phoneNumbers": []any{map[string]any{"value": "call me maybe"}}}, 400, "invalidValue"},
		{"BadLanguage", "PUT", "/Users/" + id, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "bjensen",
			"preferredLanguage": "not a language!"}, 400, "invalidValue"},
		{"WrongType", "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "x", "active": "yes"}, 400, "invalidValue"},
		{"PatchBadPath", "PATCH", "/Users/" + id, patchOp("replace", "title", "Boss"), 400, "invalidPath"},
		{"PatchNotAPatchOp", "PATCH", "/Users/" + id, map[string]any{"schemas": []string{"x"}, "Operations": []any{}}, 400, "invalidValue"},
		{"NotFound", "GET", "/Users/nobody", nil, 404, ""},
		{"PreconditionFailed", "PUT", "/Users/" + id, bjensen(), 412, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.status == 412 {
				hdr = []string{"If-Match", `W/"000000000000000000000000"`}
			}
			before := e.do("GET", "/Users/"+id, nil).header.Get("ETag")
			r := e.do(c.method, c.path, c.body, hdr...)
			r.mustError(t, c.status, c.scimType)
			if detail := r.str("detail"); detail == "" || strings.Contains(strings.ToLower(detail), "sql") {
				t.Errorf("detail %q, want an explanation without internals", detail)
			}
			if after := e.do("GET", "/Users/"+id, nil).header.Get("ETag"); after != before {
				t.Errorf("a refused request changed the User")
			}
		})
	}
	if r := e.do("GET", "/Users?filter="+urlq(`userName sw ""`), nil).must(t, http.StatusOK); r.body["totalResults"] != 1.0 {
		t.Errorf("only bjensen was created: %s", r.raw)
	}
}

// TestAuthorization: no token is 401, a token without keypad:users 403,
// keypad:admin passes; a cookie is no credential (oauth.AuthorizeAdmin).
func TestAuthorization(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), func(c *configT) { c.AdminPublic = true })
	other := e.clientToken("auditor", "keypad:audit")
	admin := e.clientToken("root", "keypad:admin")
	public := e.srv.URL() + "/scim/v2"
	for _, c := range []struct {
		name, token, base string
		status            int
	}{
		{"NoToken", "", e.base, 401},
		{"OtherScope", other, e.base, 403},
		{"Users", e.token, e.base, 200},
		{"Admin", admin, e.base, 200},
		{"PublicNoToken", "", public, 401},
		{"PublicOtherScope", other, public, 403},
		{"Public", e.token, public, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []string{"/Users", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"} {
				r := e.doAs(c.token, "GET", c.base+p, nil)
				if r.status != c.status {
					t.Errorf("GET %s: %d, want %d: %s", p, r.status, c.status, r.raw)
				}
				if c.status != 200 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("GET %s: WWW-Authenticate %q", p, r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	r := e.doAs(other, "POST", e.base+"/Users", bjensen())
	if r.status != 403 {
		t.Errorf("POST without the scope: %d", r.status)
	}
	if _, err := e.srv.Store().GetSubjectByUsername(t.Context(), "bjensen"); err == nil {
		t.Error("a refused POST created the User")
	}
}

// TestNotPublicByDefault: without admin_public, the public listener does
// not serve SCIM.
func TestNotPublicByDefault(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	if r := e.doAs(e.token, "GET", e.srv.URL()+"/scim/v2/Users", nil); r.status != 404 {
		t.Errorf("public GET /scim/v2/Users: %d, want 404", r.status)
	}
}

// TestTooLarge: a body past 1 MiB is refused before it is read.
func TestTooLarge(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	u := bjensen()
	u["name"] = map[string]any{"formatted": strings.Repeat("x", 1<<20)}
	e.do("POST", "/Users", u).mustError(t, http.StatusRequestEntityTooLarge, "")
	if _, err := e.srv.Store().GetSubjectByUsername(t.Context(), "bjensen"); err == nil {
		t.Error("a refused POST created the User")
	}
}
