package oauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestResolveRedirectURI(t *testing.T) {
	web := &keypad.Client{RedirectURIs: []string{"https://app.example.com/cb", "https://app.example.com/cb2?x=1"}}
	one := &keypad.Client{RedirectURIs: []string{"https://app.example.com/cb"}}
	native := &keypad.Client{Public: true, RedirectURIs: []string{"http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://localhost/cb", "com.example.app:/cb"}}
	confidentialLoopback := &keypad.Client{RedirectURIs: []string{"http://127.0.0.1/cb"}}
	for _, c := range []struct {
		name   string
		client *keypad.Client
		given  string
		want   string // "" means refused
	}{
		{"OKExact", web, "https://app.example.com/cb", "https://app.example.com/cb"},
		{"OKExactWithQuery", web, "https://app.example.com/cb2?x=1", "https://app.example.com/cb2?x=1"},
		{"OKOnlyOneRegistered", one, "", "https://app.example.com/cb"},
		{"OKLoopbackAnyPort", native, "http://127.0.0.1:51004/cb", "http://127.0.0.1:51004/cb"},
		{"OKLoopbackNoPort", native, "http://127.0.0.1/cb", "http://127.0.0.1/cb"},
		{"OKLoopbackIPv6OtherPort", native, "http://[::1]:9/cb", "http://[::1]:9/cb"},
		{"OKLocalhostPort", native, "http://localhost:3000/cb", "http://localhost:3000/cb"},
		{"OKPrivateScheme", native, "com.example.app:/cb", "com.example.app:/cb"},
		{"ErrSeveralRegistered", web, "", ""},
		{"ErrTrailingSlash", web, "https://app.example.com/cb/", ""},
		{"ErrCase", web, "https://APP.example.com/cb", ""},
		{"ErrQueryChanged", web, "https://app.example.com/cb2?x=2", ""},
		{"ErrFragment", web, "https://app.example.com/cb#x", ""},
		{"ErrPrefix", web, "https://app.example.com/cb.evil.com", ""},
		{"ErrConfidentialLoopbackPort", confidentialLoopback, "http://127.0.0.1:5000/cb", ""},
		{"ErrLoopbackPath", native, "http://127.0.0.1:5000/cb/..", ""},
		{"ErrLoopbackOtherHost", native, "http://127.0.0.1.evil.com:5000/cb", ""},
		{"ErrLoopbackUserinfo", native, "http://evil@127.0.0.1:5000/cb", ""},
		{"ErrLoopbackHTTPS", native, "https://127.0.0.1:5000/cb", ""},
		{"ErrLoopbackBadPort", native, "http://127.0.0.1:0/cb", ""},
		{"ErrLoopbackPortNotNumber", native, "http://127.0.0.1:http/cb", ""},
		{"ErrLoopbackQuery", native, "http://127.0.0.1:5000/cb?a=b", ""},
		{"ErrLocalhostForIP", native, "http://localhost:5000/cb2", ""},
		{"ErrPrivateSchemePort", native, "com.example.app:/cb2", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, why := resolveRedirectURI(c.client, c.given)
			if got != c.want {
				t.Errorf("resolveRedirectURI(%q) = %q (%s), want %q", c.given, got, why, c.want)
			}
			if got == "" && why == "" {
				t.Errorf("a refusal without a reason")
			}
		})
	}
}

// FuzzLoopbackMatch: a loopback match differs from the registered URI in
// the port alone.
func FuzzLoopbackMatch(f *testing.F) {
	f.Add("http://127.0.0.1/cb", "http://127.0.0.1:8080/cb")
	f.Add("http://[::1]:1/x?y", "http://[::1]:2/x?y")
	f.Add("http://localhost/", "http://localhost:1/")
	f.Fuzz(func(t *testing.T, reg, given string) {
		if !loopbackMatch(reg, given) {
			return
		}
		r, _ := url.Parse(reg)
		g, _ := url.Parse(given)
		if g.Scheme != "http" || g.Hostname() != r.Hostname() || g.User != nil || g.RawQuery != r.RawQuery || g.Path != r.Path || g.Fragment != "" {
			t.Errorf("loopbackMatch(%q, %q) = true, but they differ in more than the port", reg, given)
		}
	})
}

func TestWithParams(t *testing.T) {
	p := url.Values{"code": {"a b"}, "state": {"s&t"}}
	for _, c := range []struct{ uri, want string }{
		{"https://a.example/cb", "https://a.example/cb?code=a+b&state=s%26t"},
		{"https://a.example/cb?x=%2F", "https://a.example/cb?x=%2F&code=a+b&state=s%26t"},
		{"https://a.example/cb?", "https://a.example/cb?code=a+b&state=s%26t"},
	} {
		if got := withParams(c.uri, p); got != c.want {
			t.Errorf("withParams(%q) = %q, want %q", c.uri, got, c.want)
		}
	}
	if !strings.HasSuffix(withParams("com.example.app:/cb", p), ":/cb?code=a+b&state=s%26t") {
		t.Errorf("private-use scheme URI mangled")
	}
}
