package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/oauth"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageTemplate is one page: the layout plus the page's "content".
type pageTemplate = *template.Template

// page names, one per file in templates/ besides layout.html.
var pageNames = []string{"device-enter", "device-confirm", "login", "consent", "done", "message", "devices"}

func parsePages() (map[string]pageTemplate, error) {
	pages := map[string]pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// common is what the layout needs; every page's data embeds it.
type common struct {
	Title string
	Site  string
	Base  string // prefix for links: the issuer's path
	// SignedInAs, when set, shows who is signed in and a sign-out button.
	SignedInAs string
	// L speaks the page's language: the templates call {{.L.T KEY}}.
	L *i18n.Localizer
	// Langs are the language switcher's entries; Here is the page it
	// returns to.
	Langs []langChoice
	Here  string
}

func (h *Handler) common(r *http.Request, title text, signedInAs string) common {
	l := h.Localizer(r)
	return common{
		Title: title(l), Site: h.cfg.SiteName, Base: h.basePath, SignedInAs: signedInAs,
		L: l, Langs: h.langChoices(l), Here: here(r),
	}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.log.ErrorContext(r.Context(), "web: render page", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintln(w, "Something went wrong on our side. Please try again in a minute.")
		return
	}
	langHeaders(w.Header(), h.Localizer(r))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// text is words for a person, put in the page's language when the page is
// rendered: a catalogue key and its values (t), a duration (minutesText),
// or a name that is the same in every language (plain).
type text func(l *i18n.Localizer) string

// t is the catalogue's text for key. args are pairs of a placeholder's
// name and its value; a value that is a text is put in the language
// first.
func t(key string, args ...any) text {
	return func(l *i18n.Localizer) string {
		vals := make([]any, len(args))
		for i, a := range args {
			if tx, ok := a.(text); ok {
				a = tx(l)
			}
			vals[i] = a
		}
		return l.T(key, vals...)
	}
}

// plural is the catalogue's text for key in the plural form for n.
func plural(key string, n int) text {
	return func(l *i18n.Localizer) string { return l.Plural(key, n) }
}

// plain is a text that is the same in every language: a name.
func plain(s string) text { return func(*i18n.Localizer) string { return s } }

// minutesText says a duration in whole minutes, rounded up ("1 minute").
func minutesText(d time.Duration) text {
	return func(l *i18n.Localizer) string { return l.Minutes(d) }
}

// secondsText says a short wait in seconds, a longer one in minutes.
func secondsText(d time.Duration) text {
	return func(l *i18n.Localizer) string { return l.Seconds(d) }
}

// msg is a page that tells a person what happened and what to do next.
type msg struct {
	Heading text
	Lines   []text
	// Action is the one link that continues; ActionPath is relative to
	// the base path.
	Action     text
	ActionPath string
	// Kind styles the page: "error", "ok" or "info".
	Kind string
}

// shownMsg is a msg in the page's language, for the templates.
type shownMsg struct {
	Heading    string
	Lines      []string
	Action     string
	ActionPath string
	Kind       string
}

// in puts m in l's language; nil for a nil m.
func (m *msg) in(l *i18n.Localizer) *shownMsg {
	if m == nil {
		return nil
	}
	s := &shownMsg{Heading: m.Heading(l), ActionPath: m.ActionPath, Kind: m.Kind}
	for _, line := range m.Lines {
		s.Lines = append(s.Lines, line(l))
	}
	if m.Action != nil {
		s.Action = m.Action(l)
	}
	return s
}

type messageData struct {
	common
	*shownMsg
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, m msg) {
	h.render(w, r, status, "message", messageData{common: h.common(r, m.Heading, ""), shownMsg: m.in(h.Localizer(r))})
}

// The messages people see. They say what happened in plain words and what
// to do next; none tells a guesser more than "not valid".
var (
	msgInvalidCode = msg{
		Kind:    "error",
		Heading: t("device.invalid.heading"),
		Lines:   []text{t("device.invalid.line1"), t("device.invalid.line2")},
	}
	msgInvalidLink = msg{
		Kind:    "error",
		Heading: t("device.badlink.heading"),
		Lines:   []text{t("device.badlink.line")},
	}
	msgRequestGone = msg{
		Kind:    "error",
		Heading: t("device.gone.heading"),
		Lines:   []text{t("device.gone.line")},
		Action:  t("action.new_code"), ActionPath: oauth.PathDeviceVerification,
	}
	msgSessionExpired = msg{
		Kind:    "error",
		Heading: t("session.expired.heading"),
		Lines:   []text{t("session.expired.line1"), t("session.expired.line2")},
		Action:  t("action.code_again"), ActionPath: oauth.PathDeviceVerification,
	}
	msgNotFound = msg{
		Kind:    "error",
		Heading: t("notfound.heading"),
		Lines:   []text{t("notfound.line")},
		Action:  t("action.enter_code"), ActionPath: oauth.PathDeviceVerification,
	}
	msgMethod = msg{
		Kind:    "error",
		Heading: t("method.heading"),
		Lines:   []text{t("method.line")},
		Action:  t("action.start"), ActionPath: oauth.PathDeviceVerification,
	}
	msgCrossOrigin = msg{
		Kind:    "error",
		Heading: t("crossorigin.heading"),
		Lines:   []text{t("crossorigin.line1"), t("crossorigin.line2")},
		Action:  t("action.start"), ActionPath: oauth.PathDeviceVerification,
	}
	msgInternal = msg{
		Kind:    "error",
		Heading: t("internal.heading"),
		Lines:   []text{t("internal.line")},
		Action:  t("action.start"), ActionPath: oauth.PathDeviceVerification,
	}
	msgUnavailable = msg{
		Kind:    "error",
		Heading: t("unavailable.heading"),
		Lines:   []text{t("unavailable.line")},
	}
	msgSignedOut = msg{
		Kind:    "info",
		Heading: t("signedout.heading"),
		Lines:   []text{t("signedout.line")},
		Action:  t("action.enter_code"), ActionPath: oauth.PathDeviceVerification,
	}
)

// msgTooMany tells a limited person how long to wait, rounded up to whole
// minutes.
func msgTooMany(retry time.Duration, global bool) msg {
	first := t("toomany.line1", "Wait", minutesText(retry))
	if global {
		first = t("toomany.global", "Wait", minutesText(retry))
	}
	return msg{Kind: "error", Heading: t("toomany.heading"), Lines: []text{first, t("toomany.line2")}}
}

// static serves the embedded stylesheet (GET /static/{file}).
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := path.Clean("static/" + r.PathValue("file"))
	if _, err := fs.Stat(staticFS, name); err != nil {
		h.message(w, r, http.StatusNotFound, msgNotFound)
		return
	}
	// The stylesheet is public and changes only with a release.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, staticFS, name)
}
