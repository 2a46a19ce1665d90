package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/oauth"
)

// The language of the pages (docs/languages.md). In order, the first one
// keypad speaks wins:
//
//  1. the person's explicit choice: the language switcher on every page
//     posts to /language, which sets LangCookie;
//  2. the signed-in person's stored PreferredLanguage;
//  3. the ui_locales of the authorization request the session serves
//     (OpenID Connect Core §3.1.2.1), kept in the session with it;
//  4. the browser's Accept-Language;
//  5. the server's default_language.
//
// A cookie that names no language of the bundle exactly (junk, an old
// language the operator removed) is ignored.

// LangCookie holds the language chosen with the switcher.
const LangCookie = "keypad_lang"

// langCookieTTL is how long the choice is kept: a year.
const langCookieTTL = 365 * 24 * 60 * 60

// dataUILocales is the session key of the pending authorization
// request's ui_locales.
const dataUILocales = "ui_locales"

// langKey is the context key of a request's langMemo.
type langKey struct{}

// langMemo keeps a request's localizer once chosen: the choice reads the
// session and the person, which a page needs more than once.
type langMemo struct{ l *i18n.Localizer }

// withLangMemo gives the request a place to keep its localizer.
func withLangMemo(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey{}, &langMemo{}))
}

// Localizer is the language the request's page is shown in, and the
// server's time zone. The issuer's landing page (package server) uses it
// too.
func (h *Handler) Localizer(r *http.Request) *i18n.Localizer {
	memo, _ := r.Context().Value(langKey{}).(*langMemo)
	if memo != nil && memo.l != nil {
		return memo.l
	}
	l := h.langs.Localizer(h.langPrefs(r, "")...).In(h.cfg.TimeLocation)
	if memo != nil {
		memo.l = l
	}
	return l
}

// speakTo makes the request's pages speak the language of person (a
// subject ID) unless the switcher or the signed-in person says another:
// the CIBA approval page is for one known person, who is often not signed
// in. It must come before the request's first Localizer.
func (h *Handler) speakTo(r *http.Request, person string) {
	if memo, _ := r.Context().Value(langKey{}).(*langMemo); memo != nil && memo.l == nil {
		memo.l = h.langs.Localizer(h.langPrefs(r, person)...).In(h.cfg.TimeLocation)
	}
}

// Languages are the languages the pages speak.
func (h *Handler) Languages() *i18n.Bundle { return h.langs }

// UILocales are the tags of the languages the pages speak, for the
// metadata's ui_locales_supported.
func (h *Handler) UILocales() []string { return h.langs.Languages() }

// langPrefs are the request's language preferences, strongest first;
// person, when not "", is the subject the page is for (speakTo).
func (h *Handler) langPrefs(r *http.Request, person string) []string {
	var prefs []string
	if c, err := r.Cookie(LangCookie); err == nil && h.langs.Has(c.Value) {
		prefs = append(prefs, c.Value)
	}
	if s, _, err := h.currentSession(r); err == nil && s != nil {
		if s.Subject != "" {
			if sub, err := h.store.GetSubject(r.Context(), s.Subject); err == nil {
				prefs = append(prefs, sub.PreferredLanguage)
			}
		}
		// ui_locales speaks for its request only, while it is pending.
		if s.Data[dataAuthorize] != "" {
			prefs = append(prefs, s.Data[dataUILocales])
		}
	}
	if person != "" {
		if sub, err := h.store.GetSubject(r.Context(), person); err == nil {
			prefs = append(prefs, sub.PreferredLanguage)
		}
	}
	return append(prefs, r.Header.Get("Accept-Language"))
}

// langHeaders say which language the page is in, and that the answer
// depends on the browser's languages and cookies (for caches).
func langHeaders(hd http.Header, l *i18n.Localizer) {
	hd.Set("Content-Language", l.Tag())
	hd.Add("Vary", "Accept-Language, Cookie")
}

// langChoice is one entry of the language switcher.
type langChoice struct {
	Tag     string
	Name    string // in its own language: "English", "Español"
	Current bool
}

// langChoices are the switcher's entries.
func (h *Handler) langChoices(l *i18n.Localizer) []langChoice {
	var out []langChoice
	for _, tag := range h.langs.Languages() {
		out = append(out, langChoice{Tag: tag, Name: h.langs.Localizer(tag).T("language.name"), Current: tag == l.Tag()})
	}
	return out
}

// here is the page the switcher comes back to: this page for a GET, and
// the form's own page (by GET) after a POST. It is a path on this server,
// relative to the base path.
func here(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if r.URL.Path == "/logout" || r.URL.Path == "/language" {
		return oauth.PathDeviceVerification
	}
	return r.URL.Path
}

// localNext reads the switcher's next: only a path on this server (no
// scheme, no host, no "//" or backslash that a browser might read as
// one) is followed; anything else goes to the code entry page, so the
// switcher cannot be made into an open redirect.
func localNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || u.Scheme != "" || u.Host != "" || u.User != nil {
		return oauth.PathDeviceVerification
	}
	return u.RequestURI()
}

// language serves POST /language: lang (a language of the bundle) and
// next (the page to return to). The cookie keeps the choice for a year.
// Like every form, it is refused from other sites
// (http.CrossOriginProtection), so no site can switch a person's
// language behind their back.
func (h *Handler) language(w http.ResponseWriter, r *http.Request) {
	tag := r.PostFormValue("lang")
	if !h.langs.Has(tag) {
		h.message(w, r, http.StatusBadRequest, msgNoLanguage)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: LangCookie, Value: tag, Path: "/", MaxAge: langCookieTTL,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, h.url(localNext(r.PostFormValue("next"))), http.StatusSeeOther)
}

var msgNoLanguage = msg{
	Kind:    "error",
	Heading: t("language.unknown.heading"),
	Lines:   []text{t("language.unknown.line")},
	Action:  t("action.start"), ActionPath: oauth.PathDeviceVerification,
}
