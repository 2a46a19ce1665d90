package kiosk

import (
	"cmp"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

//go:embed templates/*.html static/*
var files embed.FS

// Config configures the kiosk. Issuer, ClientID, ClientSecret and
// EnergyAPI are required.
type Config struct {
	// Issuer is keypad's base URL; the OTP endpoints and the token
	// endpoint are at the paths DESIGN.md fixes under it.
	Issuer string
	// ClientID and ClientSecret are the kiosk's confidential client
	// credentials, sent with client_secret_basic.
	ClientID, ClientSecret string
	// EnergyAPI is the energy API's base URL.
	EnergyAPI string
	// Scope is what the kiosk asks for; default "usage:read".
	Scope string
	// IdleTimeout returns an unattended kiosk to the start and forgets
	// the visit; default 2 minutes.
	IdleTimeout time.Duration
	// IdleWarning is how long before that reset the screen warns and
	// offers "More time" (WCAG 2.2.1); default 30 seconds, or half the
	// timeout when that is shorter. It must be shorter than IdleTimeout.
	IdleWarning time.Duration
	// Name is the business shown on every screen; default "Bright Audits".
	Name       string
	HTTPClient *http.Client // default: a client with a 10 s timeout
	Now        func() time.Time
	Rand       io.Reader    // for visit cookies; default crypto/rand
	Logger     *slog.Logger // default: slog.Default()
}

type kiosk struct {
	cfg    Config
	keypad *keypadClient
	energy *energyClient
	visits *visits
	pages  map[string]*template.Template
	msgs   *catalogue
	log    *slog.Logger
}

// New returns the kiosk's handler. It contacts nobody until a person
// starts a visit.
func New(cfg Config) (http.Handler, error) {
	k, err := newKiosk(cfg)
	if err != nil {
		return nil, err
	}
	return k.routes(), nil
}

func newKiosk(cfg Config) (*kiosk, error) {
	for name, v := range map[string]string{"Issuer": cfg.Issuer, "ClientID": cfg.ClientID,
		"ClientSecret": cfg.ClientSecret, "EnergyAPI": cfg.EnergyAPI} {
		if v == "" {
			return nil, fmt.Errorf("kiosk: %s is required", name)
		}
	}
	for _, u := range []string{cfg.Issuer, cfg.EnergyAPI} {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			return nil, fmt.Errorf("kiosk: %q is not an absolute URL", u)
		}
	}
	if cfg.Scope == "" {
		cfg.Scope = "usage:read"
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	if cfg.IdleWarning <= 0 {
		cfg.IdleWarning = min(30*time.Second, cfg.IdleTimeout/2)
	}
	if cfg.IdleWarning >= cfg.IdleTimeout {
		return nil, fmt.Errorf("kiosk: idle warning %s must be shorter than the idle timeout %s", cfg.IdleWarning, cfg.IdleTimeout)
	}
	if cfg.Name == "" {
		cfg.Name = "Bright Audits"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	msgs, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(msgs)
	if err != nil {
		return nil, err
	}
	k := &kiosk{
		cfg: cfg, pages: pages, msgs: msgs, log: cfg.Logger,
		keypad: &keypadClient{issuer: strings.TrimSuffix(cfg.Issuer, "/"), id: cfg.ClientID,
			secret: cfg.ClientSecret, client: cfg.HTTPClient, now: cfg.Now},
		energy: &energyClient{base: strings.TrimSuffix(cfg.EnergyAPI, "/"), client: cfg.HTTPClient},
		visits: &visits{m: map[[32]byte]*visit{}, idle: cfg.IdleTimeout, now: cfg.Now, rand: cfg.Rand},
	}
	return k, nil
}

func (k *kiosk) routes() http.Handler {
	static, _ := fs.Sub(files, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", k.welcome)
	mux.HandleFunc("POST /lookup", k.lookup)
	mux.HandleFunc("GET /channel", k.chooseChannel)
	mux.HandleFunc("POST /send", k.send)
	mux.HandleFunc("GET /code", k.enterCode)
	mux.HandleFunc("POST /verify", k.verify)
	mux.HandleFunc("POST /approve", k.startApproval)
	mux.HandleFunc("GET /approve", k.waitApproval)
	mux.HandleFunc("GET /audit", k.showAudit)
	mux.HandleFunc("POST /done", k.done)
	mux.HandleFunc("POST /still-here", k.stillHere)
	mux.HandleFunc("POST /lang", k.setLanguage)
	return secureHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// secureHeaders sets the page policy DESIGN.md asks of web pages: no
// inline script (only the kiosk's own static idle.js, which may call back
// to the kiosk to ask for more time), no framing, no referrer, nothing
// cached.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// view is everything a screen may show.
type view struct {
	Name string
	// Lang is the screen's language; Languages the others the button
	// offers, and Here the screen to show again in the one picked.
	Lang      string
	Languages []language
	Here      string
	// Idle is the seconds before the page goes back to the start (0:
	// never), Warn how many of them the "More time" warning shows for,
	// and Back the screen "More time" returns to without script.
	Idle, Warn int
	Back       string
	Notice     string

	Identifier string
	AskFor     string // "account", "phone" or "email"

	Channels    []channel
	Channel     *channel
	CodeLength  int
	CodeMinutes int

	Audit *audit

	Binding string // approve screen: the number the phone shows too
	Refresh int    // seconds before the screen reloads itself (0: never)

	Title, Text string // problem screen
	Retry       string // problem screen: a path to try again
}

// funcs format numbers; the translating helpers are the catalogue's.
var funcs = template.FuncMap{
	"number": number,
	"money":  money,
}

func parsePages(msgs *catalogue) (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range []string{"welcome", "ask", "channel", "code", "approve", "audit", "problem"} {
		t, err := template.New("layout.html").Funcs(funcs).Funcs(msgs.templateFuncs()).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("kiosk: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// backTo is the screen "More time" reloads without script, by page.
var backTo = map[string]string{"channel": "/channel", "code": "/code", "approve": "/approve", "audit": "/audit"}

// render draws a screen. Every screen but the first says it will start
// over when left alone; static/idle.js warns before it does and offers
// more time (WCAG 2.2.1), and the server forgets the visit anyway.
func (k *kiosk) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.Name = k.cfg.Name
	// Fixed notices are translated here; those with numbers in them
	// were translated with k.tr where they were made.
	v.Lang = k.lang(r)
	v.Languages, v.Here = k.msgs.others(v.Lang), cmp.Or(backTo[page], "/")
	v.Notice = k.msgs.tr(v.Lang, v.Notice)
	if page != "welcome" {
		v.Idle = int((k.cfg.IdleTimeout + time.Second - 1) / time.Second)
		v.Warn = int(k.cfg.IdleWarning / time.Second)
		v.Back = backTo[page] // "": no script-free "More time" (ask, problem)
	}
	var b strings.Builder
	if err := k.pages[page].Execute(&b, v); err != nil {
		k.log.Error("kiosk: render", "page", page, "err", err)
		http.Error(w, k.tr(r, "Something went wrong. Please start over."), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

// problem draws the screen for a visit that cannot go on as it was.
func (k *kiosk) problem(w http.ResponseWriter, r *http.Request, status int, title, text, retry string) {
	k.render(w, r, status, "problem", view{Title: k.tr(r, title), Text: k.tr(r, text), Retry: retry})
}

// peerProblem answers an error from keypad or the energy API that the
// screens do not handle themselves.
func (k *kiosk) peerProblem(w http.ResponseWriter, r *http.Request, err error, retry string) {
	var oe *oauthError
	switch {
	case errors.Is(err, errUnreachable):
		k.log.Warn("kiosk: peer unreachable", "err", err)
		k.problem(w, r, http.StatusBadGateway, "We can't reach the utility right now",
			"This is on our side, not yours. Please try again in a minute.", retry)
	case errors.As(err, &oe) && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client" || oe.Code == "invalid_scope"):
		k.log.Error("kiosk: keypad refuses this kiosk's configuration", "err", err)
		k.problem(w, r, http.StatusBadGateway, "This kiosk is not set up correctly",
			"Please tell a member of staff. Sorry for the trouble.", "")
	default:
		k.log.Warn("kiosk: peer error", "err", err)
		k.problem(w, r, http.StatusBadGateway, "Something went wrong on our side",
			"Please try again in a minute, or start over.", retry)
	}
}
