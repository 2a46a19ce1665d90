package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
)

// CIBAApprover is the CIBA flow's Go API for the approval page that a
// text or email links to; *oauth.Server implements it (and answers
// oauth.ErrCIBADisabled while CIBA is off). The page reads the request
// with CIBARequest and never changes it on GET, because messaging apps
// and mail scanners open links to preview them; the answer is a POST
// from the page (CSRF-protected like every form) that calls CIBADecide.
type CIBAApprover interface {
	CIBARequest(ctx context.Context, linkToken string) (*oauth.CIBAView, error)
	CIBADecide(ctx context.Context, linkToken string, approve bool, code, signedIn, ip string) error
}

var _ CIBAApprover = (*oauth.Server)(nil)

func init() {
	pageNames = append(pageNames, "ciba")
}

type cibaData struct {
	common
	ClientName     string
	Scopes         []string
	BindingMessage string
	RequestedAt    string // "14:02 UTC"
	ExpiresIn      string // "8 minutes"
	Token          string // the link's token, posted back
	// NeedSignIn: the client wants the person signed in to approve, and
	// they are not (as the person the request is for).
	NeedSignIn bool
	// NeedCode: the client wants the person to type the code it shows;
	// CodeMissing says Approve was pressed without it.
	NeedCode, CodeMissing bool
}

var (
	msgCIBAGone = msg{
		Kind:    "error",
		Heading: t("device.gone.heading"),
		Lines:   []text{t("ciba.gone.line")},
	}
	msgCIBACodeWrong = msg{
		Kind:    "error",
		Heading: t("ciba.wrong.heading"),
		Lines:   []text{t("ciba.wrong.line")},
	}
	msgCIBAInvalid = msg{
		Kind:    "error",
		Heading: t("ciba.invalid.heading"),
		Lines:   []text{t("ciba.invalid.line")},
	}
)

// cibaPage is GET /ciba?t=…: it shows who asks, what for, the binding
// message and the time, with Approve and Deny. It changes nothing.
func (h *Handler) cibaPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("t")
	v, ok := h.cibaView(w, r, tok)
	if !ok {
		return
	}
	h.renderCIBA(w, r, tok, v, false)
}

func (h *Handler) renderCIBA(w http.ResponseWriter, r *http.Request, tok string, v *oauth.CIBAView, codeMissing bool) {
	signedIn, err := h.signedInSubject(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	left := max(v.ExpiresAt.Sub(h.now()), time.Minute)
	l := h.Localizer(r)
	scopes := v.Scopes
	if v.ScopeNames != nil {
		lines, err := h.scopeLines(r.Context(), l, v.ScopeNames)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		scopes = make([]string, len(lines))
		for i, line := range lines {
			scopes[i] = line.Text
		}
	}
	h.render(w, r, http.StatusOK, "ciba", cibaData{
		common:     h.common(r, t("ciba.heading", "Client", v.ClientName), ""),
		ClientName: v.ClientName, Scopes: scopes, BindingMessage: v.BindingMessage,
		RequestedAt: l.Time(v.RequestedAt),
		ExpiresIn:   l.Minutes(left),
		Token:       tok,
		NeedSignIn:  v.RequireSignIn && signedIn != v.Subject,
		NeedCode:    v.RequireBindingCode, CodeMissing: codeMissing,
	})
}

// cibaView reads the request a link names, or answers with a page saying
// why it cannot be answered.
func (h *Handler) cibaView(w http.ResponseWriter, r *http.Request, tok string) (*oauth.CIBAView, bool) {
	if h.ciba == nil {
		h.message(w, r, http.StatusNotFound, msgCIBAInvalid)
		return nil, false
	}
	v, err := h.ciba.CIBARequest(r.Context(), tok)
	switch {
	case errors.Is(err, oauth.ErrCIBALinkInvalid), errors.Is(err, oauth.ErrCIBADisabled):
		h.message(w, r, http.StatusNotFound, msgCIBAInvalid)
		return nil, false
	case err != nil:
		h.internalError(w, r, err)
		return nil, false
	case v.Status != keypad.CIBAPending || !h.now().Before(v.ExpiresAt):
		h.speakTo(r, v.Subject)
		h.message(w, r, http.StatusGone, msgCIBAGone)
		return nil, false
	}
	h.speakTo(r, v.Subject)
	return v, true
}

// cibaSubmit is POST /ciba: Approve or Deny.
func (h *Handler) cibaSubmit(w http.ResponseWriter, r *http.Request) {
	ip := h.clientIP(r)
	if ok, wait := h.buckets.Allow("ciba:" + ratelimit.IPKey(ip)); !ok {
		h.rateLimited(w, r, &ratelimit.Error{Scope: "burst", RetryAfter: wait})
		return
	}
	tok := r.PostFormValue("t")
	v, ok := h.cibaView(w, r, tok)
	if !ok {
		return
	}
	approve := r.PostFormValue("action") == "approve"
	if !approve && r.PostFormValue("action") != "deny" {
		h.renderCIBA(w, r, tok, v, false)
		return
	}
	signedIn, err := h.signedInSubject(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	err = h.ciba.CIBADecide(r.Context(), tok, approve, r.PostFormValue("code"), signedIn, ip)
	switch {
	case errors.Is(err, oauth.ErrCIBASignInRequired):
		h.renderCIBA(w, r, tok, v, false)
		return
	case errors.Is(err, oauth.ErrCIBABindingCodeMissing):
		h.renderCIBA(w, r, tok, v, true)
		return
	case errors.Is(err, oauth.ErrCIBABindingCodeWrong):
		h.message(w, r, http.StatusForbidden, msgCIBACodeWrong)
		return
	case errors.Is(err, oauth.ErrCIBANotPending), errors.Is(err, oauth.ErrCIBALinkInvalid):
		h.message(w, r, http.StatusGone, msgCIBAGone)
		return
	case err != nil:
		h.internalError(w, r, err)
		return
	}
	m := msg{Kind: "ok", Heading: t("ciba.approved.heading"), Lines: []text{t("ciba.approved.line", "Client", v.ClientName)}}
	if !approve {
		m = msg{Kind: "info", Heading: t("done.denied.heading"), Lines: []text{t("ciba.denied.line", "Client", v.ClientName)}}
	}
	h.message(w, r, http.StatusOK, m)
}

// signedInSubject is the person signed in on this browser, "" for nobody.
func (h *Handler) signedInSubject(r *http.Request) (string, error) {
	s, _, err := h.currentSession(r)
	if err != nil || s == nil {
		return "", err
	}
	return s.Subject, nil
}
