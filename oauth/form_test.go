package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestTokenEndpointForm(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	good := "grant_type=client_credentials"
	send := func(body, contentType, query string) response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathToken+query, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		basic("svc", secret)(req)
		return e.do(req)
	}
	tests := []struct {
		name, body, contentType, query string
		code                           string // empty: success
		mention                        string // the description must contain this
	}{
		{"OK", good, "application/x-www-form-urlencoded", "", "", ""},
		{"OKCharset", good, "application/x-www-form-urlencoded; charset=UTF-8", "", "", ""},
		{"OKEmptyScopeIsOmitted", good + "&scope=", "application/x-www-form-urlencoded", "", "", ""},
		{"ErrJSON", `{"grant_type":"client_credentials"}`, "application/json", "", CodeInvalidRequest, "application/json"},
		{"ErrNoContentType", good, "", "", CodeInvalidRequest, "Content-Type"},
		{"ErrMultipart", good, "multipart/form-data; boundary=x", "", CodeInvalidRequest, "multipart/form-data"},
		{"ErrTooLarge", good + "&pad=" + strings.Repeat("a", maxFormBytes), "application/x-www-form-urlencoded", "", CodeInvalidRequest, "request body too large"},
		{"ErrRepeated", good + "&scope=read&scope=read", "application/x-www-form-urlencoded", "", CodeInvalidRequest, "'scope'"},
		{"ErrRepeatedGrantType", good + "&" + good, "application/x-www-form-urlencoded", "", CodeInvalidRequest, "'grant_type'"},
		{"ErrBadEscape", good + "&scope=%zz", "application/x-www-form-urlencoded", "", CodeInvalidRequest, "not a valid form"},
		{"ErrSemicolon", good + ";scope=read", "application/x-www-form-urlencoded", "", CodeInvalidRequest, "not a valid form"},
		{"ErrNoGrantType", "scope=read", "application/x-www-form-urlencoded", "", CodeInvalidRequest, "grant_type"},
		{"ErrQueryNotMixedIn", "", "application/x-www-form-urlencoded", "?grant_type=client_credentials", CodeInvalidRequest, "grant_type is missing"},
		{"ErrUnknownGrant", "grant_type=urn:example:magic", "application/x-www-form-urlencoded", "", CodeUnsupportedGrantType, "urn:example:magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(tt.body, tt.contentType, tt.query)
			if tt.code == "" {
				if r.status != http.StatusOK {
					t.Fatalf("got %d %s, want 200", r.status, r.raw)
				}
				return
			}
			wantError(t, r, http.StatusBadRequest, tt.code)
			if d, _ := r.body["error_description"].(string); !strings.Contains(d, tt.mention) {
				t.Errorf("error_description %q does not mention %q", d, tt.mention)
			}
		})
	}
}

func TestParseFormBody(t *testing.T) {
	tests := []struct {
		name, body string
		want       url.Values
		wantErr    bool
	}{
		{"OK", "a=1&b=2", url.Values{"a": {"1"}, "b": {"2"}}, false},
		{"OKPlusAndEscapes", "a=x+y%21", url.Values{"a": {"x y!"}}, false},
		{"OKEmpty", "", url.Values{}, false},
		{"ErrRepeated", "a=1&a=1", nil, true},
		{"ErrRepeatedEmpty", "a=&a=", nil, true},
		{"ErrBadEscape", "a=%", nil, true},
		{"ErrSemicolon", "a=1;b=2", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFormBody(tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFormBody(%q) error = %v, want error %v", tt.body, err, tt.wantErr)
			}
			if err != nil {
				if e, ok := AsError(err); ok || e.Code != CodeInvalidRequest {
					t.Errorf("error %v maps to %s (internal %v), want invalid_request", err, e.Code, ok)
				}
				return
			}
			if got.Encode() != tt.want.Encode() {
				t.Errorf("parseFormBody(%q) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func FuzzParseFormBody(f *testing.F) {
	for _, s := range []string{"grant_type=client_credentials&scope=a+b", "a=1&a=2", "%zz", "a;b", "=&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := parseFormBody(body)
		if err != nil {
			if e, internal := AsError(err); internal || e.Code != CodeInvalidRequest {
				t.Fatalf("parse error %v is not an invalid_request", err)
			}
			return
		}
		for name, vals := range v {
			if len(vals) != 1 {
				t.Fatalf("parameter %q has %d values", name, len(vals))
			}
		}
		// Re-encoding what was parsed gives the same parameters back.
		again, err := parseFormBody(v.Encode())
		if err != nil || again.Encode() != v.Encode() {
			t.Fatalf("round trip of %v: %v, %v", v, again, err)
		}
	})
}
