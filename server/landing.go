package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"

	"github.com/keypadauth/keypad/oauth"
)

// landingCSP allows the hosted pages' stylesheet and nothing else.
const landingCSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// landingPage is the issuer's root: the first URL `keypad demo` prints
// and the one people try when they only know the host, so it says what
// the server is and where to go instead of answering 404.
var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Site}}</title>
<link rel="stylesheet" href="{{.Base}}/static/keypad.css">
</head>
<body>
<main>
<h1>{{.Site}}</h1>
<p>This is an OAuth 2.0 authorization server ({{.Issuer}}). Apps and devices send you here to sign in and to approve what they may do.</p>
<h2>For people</h2>
<ul>
<li><a href="{{.Base}}{{.Device}}">Enter a code</a> shown on a TV, a device or a command line</li>
<li><a href="{{.Base}}/account/devices">My devices</a>: see and remove the devices and apps you allowed</li>
</ul>
<h2>For developers</h2>
<ul>
<li><a href="{{.Base}}/.well-known/oauth-authorization-server">Authorization server metadata</a> (RFC 8414)</li>
<li><a href="{{.Base}}/.well-known/openid-configuration">OpenID configuration</a></li>
<li><a href="{{.Base}}/.well-known/jwks.json">Public signing keys</a> (JWKS)</li>
</ul>
</main>
</body>
</html>
`))

// landing serves the landing page at "/" exactly.
func (s *Server) landing() http.Handler {
	site := s.cfg.Web.SiteName
	if site == "" {
		site = "keypad"
	}
	var buf bytes.Buffer
	if err := landingPage.Execute(&buf, map[string]string{"Site": site, "Issuer": s.issuer, "Base": basePath(s.issuer), "Device": oauth.PathDeviceVerification}); err != nil {
		panic(err) // a fixed template with string fields cannot fail
	}
	page := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", landingCSP)
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		w.Write(page)
	})
}

// basePath is the path of the issuer URL ("" at a host's root), the
// prefix of the links on the landing page.
func basePath(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Path
}
