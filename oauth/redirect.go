package oauth

import (
	"net/url"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
)

// resolveRedirectURI decides where an authorization response may go
// (RFC 6749 §3.1.2, RFC 9700 §4.1.3): the given redirect_uri must equal a
// registered one exactly, as strings, except that a public client's
// loopback redirect URI may carry any port (RFC 8252 §7.3), since a native
// app gets whatever port the operating system gives it. With no
// redirect_uri, a client with exactly one registered URI uses that one
// (§3.1.2.3). It returns the URI to redirect to, or a description of why
// there is none; such an error must never be sent to the URI (§4.1.2.1).
func resolveRedirectURI(c *keypad.Client, given string) (string, string) {
	if given == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], ""
		}
		return "", "redirect_uri is missing; this client has several (or no) registered redirect URIs, so the request must name one"
	}
	if slices.Contains(c.RedirectURIs, given) {
		return given, ""
	}
	if c.Public {
		for _, reg := range c.RedirectURIs {
			if loopbackMatch(reg, given) {
				return given, ""
			}
		}
	}
	return "", "redirect_uri is not registered for this client; it must match a registered redirect URI exactly"
}

// loopbackMatch reports whether given equals the loopback redirect URI
// reg in everything but the port (RFC 8252 §7.3). Both must be plain
// http to a loopback host, spelled the same way; nothing else may differ,
// not even the case of the path.
func loopbackMatch(reg, given string) bool {
	r, err := url.Parse(reg)
	if err != nil || !isLoopbackRedirect(r) {
		return false
	}
	g, err := url.Parse(given)
	if err != nil || !isLoopbackRedirect(g) || g.Hostname() != r.Hostname() {
		return false
	}
	if p := g.Port(); p != "" && !validPort(p) {
		return false
	}
	return withoutPort(reg, r) == withoutPort(given, g)
}

// isLoopbackRedirect: http to 127.0.0.1, [::1] or localhost, without user
// info or fragment.
func isLoopbackRedirect(u *url.URL) bool {
	if u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
		return true
	}
	return false
}

// withoutPort returns raw with the port of its authority removed, so two
// loopback URIs compare as the strings they are, port aside.
func withoutPort(raw string, u *url.URL) string {
	host := u.Host
	bare := strings.TrimSuffix(host, ":"+u.Port())
	bare = strings.TrimSuffix(bare, ":") // "127.0.0.1:" has an empty port
	return strings.Replace(raw, "//"+host, "//"+bare, 1)
}

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n <= 65535
}

// withParams returns uri with params added to its query, keeping the
// existing query exactly as registered (RFC 6749 §3.1.2: "MUST retain the
// query component").
func withParams(uri string, params url.Values) string {
	enc := params.Encode()
	if enc == "" {
		return uri
	}
	base, _, _ := strings.Cut(uri, "#") // registered URIs have none; be safe
	switch {
	case !strings.Contains(base, "?"):
		return base + "?" + enc
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		return base + enc
	}
	return base + "&" + enc
}
