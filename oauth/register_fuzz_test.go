package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRegister posts arbitrary bodies to an open registration endpoint:
// every answer is 201 or a 400 with one of the registration errors,
// never a server error, and every client it stores passes the CLI's
// rules.
func FuzzRegister(f *testing.F) {
	for _, s := range []string{
		`{"client_name":"a","redirect_uris":["https://a.example/cb"]}`,
		`{"client_name":"a","grant_types":["client_credentials"],"response_types":[],"scope":"openid"}`,
		`{"client_name":"a","token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1/cb"],"client_name#es":"b"}`,
		`{"client_name":"a","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[]},"grant_types":["client_credentials"]}`,
		`{"software_statement":"a.b.c"}`, `{"redirect_uris":null}`, `[]`, `{"a":1,"a":2}`,
	} {
		f.Add(s)
	}
	e := newEnv(f, func(c *Config) { c.Registration = &RegistrationConfig{Open: true, OpenPerHour: 1 << 30} })
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, PathRegister, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.srv.handleRegister(rec, req)
		var got map[string]any
		json.Unmarshal(rec.Body.Bytes(), &got)
		switch rec.Code {
		case http.StatusCreated:
			id, _ := got["client_id"].(string)
			c, err := e.st.GetClient(context.Background(), id)
			if err != nil {
				t.Fatalf("registered %q but cannot read it: %v", id, err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("registered a client the CLI would refuse: %v", err)
			}
			if _, err := e.st.GetClientRegistration(context.Background(), id); err != nil {
				t.Fatalf("registered %q without its registration: %v", id, err)
			}
		case http.StatusBadRequest:
			switch got["error"] {
			case CodeInvalidRequest, CodeInvalidClientMetadata, CodeInvalidRedirectURI, CodeInvalidSoftwareStatement:
			default:
				t.Fatalf("400 with %s", rec.Body)
			}
		default:
			t.Fatalf("answered %d %s", rec.Code, rec.Body)
		}
	})
}
