package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/web"
)

// landingCSP allows the hosted pages' stylesheet and the language
// switcher's form, and nothing else.
const landingCSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// landingPage is the issuer's root: the first URL `keypad demo` prints
// and the one people try when they only know the host, so it says what
// the server is and where to go instead of answering 404. It speaks the
// language the hosted pages would (web.Handler.Localizer) and carries
// their language switcher.
var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="{{.L.Tag}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Site}}</title>
<link rel="stylesheet" href="{{.Base}}/static/keypad.css">
</head>
<body>
<header class="top">
  <span class="brand">{{.Site}}</span>
  <form class="langs" method="post" action="{{.Base}}/language" aria-label="{{.L.T "layout.language"}}">
    <input type="hidden" name="next" value="/">
    {{- range .Langs}}
    {{if .Current}}<span class="lang-current" lang="{{.Tag}}" aria-current="true">{{.Name}}</span>{{else}}<button type="submit" name="lang" value="{{.Tag}}" lang="{{.Tag}}" class="link">{{.Name}}</button>{{end}}
    {{- end}}
  </form>
</header>
<main>
<h1>{{.Site}}</h1>
<p>{{.L.T "landing.intro" "Issuer" .Issuer}}</p>
<h2>{{.L.T "landing.people"}}</h2>
<ul>
<li><a href="{{.Base}}{{.Device}}">{{.L.T "landing.enter_code"}}</a> {{.L.T "landing.enter_code_rest"}}</li>
<li><a href="{{.Base}}/account/devices">{{.L.T "landing.devices"}}</a>: {{.L.T "landing.devices_rest"}}</li>
</ul>
<h2>{{.L.T "landing.developers"}}</h2>
<ul>
<li><a href="{{.Base}}/.well-known/oauth-authorization-server">{{.L.T "landing.metadata"}}</a> (RFC 8414)</li>
<li><a href="{{.Base}}/.well-known/openid-configuration">{{.L.T "landing.oidc"}}</a></li>
<li><a href="{{.Base}}/.well-known/jwks.json">{{.L.T "landing.jwks"}}</a> (JWKS)</li>
</ul>
</main>
</body>
</html>
`))

// landingData is what the landing page shows.
type landingData struct {
	Site, Issuer, Base, Device string
	L                          *i18n.Localizer
	Langs                      []landingLang
}

// landingLang is one entry of the language switcher.
type landingLang struct {
	Tag, Name string
	Current   bool
}

// landing serves the landing page at "/" exactly, in the language the
// pages choose for the request.
func (s *Server) landing(pages *web.Handler) http.Handler {
	langs := pages.Languages()
	site := s.cfg.Web.SiteName
	if site == "" {
		site = "keypad"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := pages.Localizer(r)
		d := landingData{Site: site, Issuer: s.issuer, Base: basePath(s.issuer), Device: oauth.PathDeviceVerification, L: l}
		for _, tag := range langs.Languages() {
			d.Langs = append(d.Langs, landingLang{Tag: tag, Name: langs.Localizer(tag).T("language.name"), Current: tag == l.Tag()})
		}
		var buf bytes.Buffer
		if err := landingPage.Execute(&buf, d); err != nil {
			s.log.ErrorContext(r.Context(), "landing page", "err", err)
			http.Error(w, "Something went wrong on our side. Please try again in a minute.", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", landingCSP)
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
		h.Set("Content-Language", l.Tag())
		h.Set("Vary", "Accept-Language, Cookie")
		h.Set("Cache-Control", "no-cache")
		w.Write(buf.Bytes())
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
