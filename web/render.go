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
}

func (h *Handler) common(title, signedInAs string) common {
	return common{Title: title, Site: h.cfg.SiteName, Base: h.basePath, SignedInAs: signedInAs}
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
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// msg is a page that tells a person what happened and what to do next.
type msg struct {
	Heading string
	Lines   []string
	// Action is the one link that continues; ActionPath is relative to
	// the base path.
	Action     string
	ActionPath string
	// Kind styles the page: "error", "ok" or "info".
	Kind string
}

type messageData struct {
	common
	msg
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, m msg) {
	h.render(w, r, status, "message", messageData{common: h.common(m.Heading, ""), msg: m})
}

// The messages people see. They say what happened in plain words and what
// to do next; none tells a guesser more than "not valid".
var (
	msgInvalidCode = msg{
		Kind:    "error",
		Heading: "That code is not valid or has expired",
		Lines: []string{
			"Check the code on your device's screen and type it again below.",
			"If your device no longer shows a code, or the code is old, ask the device for a new one.",
		},
	}
	msgInvalidLink = msg{
		Kind:    "error",
		Heading: "The code in that link is not valid",
		Lines:   []string{"Type the code your device shows instead."},
	}
	msgRequestGone = msg{
		Kind:    "error",
		Heading: "This request has expired or was already answered",
		Lines: []string{
			"Nothing was approved. Ask your device for a new code and enter it again.",
		},
		Action: "Enter a new code", ActionPath: oauth.PathDeviceVerification,
	}
	msgSessionExpired = msg{
		Kind:    "error",
		Heading: "Your session has ended",
		Lines: []string{
			"For your safety, sign-in sessions end after a while. Nothing was approved.",
			"Enter the code from your device again to continue.",
		},
		Action: "Enter the code again", ActionPath: oauth.PathDeviceVerification,
	}
	msgNotFound = msg{
		Kind:    "error",
		Heading: "Page not found",
		Lines:   []string{"There is no page at this address. To connect a device, enter the code it shows."},
		Action:  "Enter a code", ActionPath: oauth.PathDeviceVerification,
	}
	msgMethod = msg{
		Kind:    "error",
		Heading: "This page cannot be used that way",
		Lines:   []string{"Please go back to the start and use the buttons on the page."},
		Action:  "Start again", ActionPath: oauth.PathDeviceVerification,
	}
	msgCrossOrigin = msg{
		Kind:    "error",
		Heading: "This form came from another website",
		Lines: []string{
			"For your safety we only accept forms sent from this site's own pages. Nothing was changed.",
			"If you meant to do this, start again from here.",
		},
		Action: "Start again", ActionPath: oauth.PathDeviceVerification,
	}
	msgInternal = msg{
		Kind:    "error",
		Heading: "Something went wrong on our side",
		Lines:   []string{"Nothing was approved. Please wait a minute and try again."},
		Action:  "Start again", ActionPath: oauth.PathDeviceVerification,
	}
	msgUnavailable = msg{
		Kind:    "error",
		Heading: "We cannot reach our records right now",
		Lines:   []string{"Nothing was approved or changed. Please try again in a few seconds."},
	}
	msgSignedOut = msg{
		Kind:    "info",
		Heading: "You are signed out",
		Lines:   []string{"You can close this page."},
		Action:  "Enter a code", ActionPath: oauth.PathDeviceVerification,
	}
)

// msgTooMany tells a limited person how long to wait, rounded up to whole
// minutes.
func msgTooMany(retry time.Duration, global bool) msg {
	lines := []string{
		fmt.Sprintf("For your safety, code entry is paused. Please try again in %s.", minutes(retry)),
		"Check the code on your device while you wait; if it has expired by then, ask the device for a new one.",
	}
	if global {
		lines[0] = fmt.Sprintf("We are seeing many wrong codes from many places right now, so code entry is paused for everyone. Please try again in %s.", minutes(retry))
	}
	return msg{Kind: "error", Heading: "Too many attempts", Lines: lines}
}

// minutes says a duration in whole minutes, rounded up ("1 minute").
func minutes(d time.Duration) string {
	n := int((d + time.Minute - 1) / time.Minute)
	if n <= 1 {
		return "1 minute"
	}
	return strconv.Itoa(n) + " minutes"
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
