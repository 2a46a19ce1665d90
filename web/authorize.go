package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/oauth"
)

// The person's side of the authorization code flow. The protocol (package
// oauth) validates the request and hands it to StartAuthorization; the
// request then lives in the session while the person signs in and
// consents, and the pages call the Authorizer back to answer the client.
// Nothing here ever redirects to a URL that oauth did not build from a
// registered redirect URI.

// Authorizer answers authorization requests; *oauth.Server implements it.
type Authorizer interface {
	// ConsentRemembered reports whether subject already consented to
	// everything req asks for (and the client does not insist on asking).
	ConsentRemembered(ctx context.Context, req *oauth.AuthorizationRequest, subject string) (bool, error)
	// ApproveAuthorization issues the code and returns where to send the
	// browser; oauth.ErrAuthorizationGone if the client changed meanwhile.
	ApproveAuthorization(ctx context.Context, req *oauth.AuthorizationRequest, a oauth.Approval) (string, error)
	// AuthorizationErrorRedirect returns where to send the browser to
	// tell the client the request failed.
	AuthorizationErrorRedirect(req *oauth.AuthorizationRequest, e *oauth.Error) string
}

// Keys of keypad.Session.Data for the authorize flow. None holds a secret.
const (
	// dataAuthorize is the JSON of the oauth.AuthorizationRequest being
	// served: one per session, the newest wins.
	dataAuthorize = "authorize"
	// dataFresh is set by signIn: the person signed in after the request
	// arrived, which satisfies prompt=login and max_age.
	dataFresh = "fresh_login"
	// dataReauth makes the sign-in page ask a signed-in person to sign in
	// again (prompt=login, max_age).
	dataReauth = "reauth"
)

var msgAuthorizeGone = msg{
	Kind:    "error",
	Heading: t("authorize.gone.heading"),
	Lines:   []text{t("authorize.gone.line1"), t("authorize.gone.line2")},
}

// StartAuthorization takes over a validated authorization request (it
// implements oauth.Interaction): it keeps the request in the session and
// sends the person on to sign-in, consent, or straight back to the client.
// prompt=none never shows a page: it answers the client at once.
func (h *Handler) StartAuthorization(w http.ResponseWriter, r *http.Request, req *oauth.AuthorizationRequest) {
	securityHeaders(w.Header())
	if h.authz == nil {
		h.internalError(w, r, errors.New("an authorization request arrived, but web.Deps.Authorizer is not set"))
		return
	}
	raw, err := json.Marshal(req)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("encode authorization request: %w", err))
		return
	}
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if s == nil {
		if req.HasPrompt("none") {
			h.answerClient(w, r, nil, req, oauth.NewError(oauth.CodeLoginRequired, "the person is not signed in"))
			return
		}
		if s, err = h.startSession(w, r, &keypad.Session{}); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	// The device flow's pending request gives way: /consent serves one
	// request at a time.
	kv := map[string]string{dataAuthorize: string(raw), dataDevice: "", dataFresh: "", dataReauth: "", dataReturn: "",
		dataUILocales: req.UILocales}
	if err := h.updateData(r, s, kv); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.continueAuthorization(w, r, s, req)
}

// AuthorizationErrorPage shows an authorization error that must not go back
// to the client (it implements oauth.Interaction): the client or redirect
// URI is not valid, so the person is told, and the developer gets the
// details.
func (h *Handler) AuthorizationErrorPage(w http.ResponseWriter, r *http.Request, e *oauth.Error) {
	securityHeaders(w.Header())
	if e.Code == oauth.CodeTemporarilyUnavailable { // a store outage: the link may be fine
		retryAfter(w, e.RetryAfter)
		h.message(w, r, http.StatusServiceUnavailable, msgUnavailable)
		return
	}
	status := http.StatusBadRequest
	if e.Code == oauth.CodeServerError {
		status = http.StatusInternalServerError
	}
	h.message(w, r, status, msg{
		Kind:    "error",
		Heading: t("authorize.invalid.heading"),
		Lines: []text{
			t("authorize.invalid.line1"),
			t("authorize.invalid.line2"),
			// The details are for developers, in the wire's language.
			t("authorize.invalid.details", "Details", e.Code+": "+e.Description),
		},
	})
}

// pendingAuthorization returns the session and the request it holds, or
// nil when there is none.
func (h *Handler) pendingAuthorization(r *http.Request) (*keypad.Session, *oauth.AuthorizationRequest, error) {
	s, _, err := h.currentSession(r)
	if err != nil || s == nil || s.Data[dataAuthorize] == "" {
		return s, nil, err
	}
	var req oauth.AuthorizationRequest
	if err := json.Unmarshal([]byte(s.Data[dataAuthorize]), &req); err != nil {
		return s, nil, nil // an old or damaged entry: as good as none
	}
	return s, &req, nil
}

// authorizeContinue serves GET /authorize/continue, where sign-in returns
// to during an authorize request.
func (h *Handler) authorizeContinue(w http.ResponseWriter, r *http.Request) {
	s, req, err := h.pendingAuthorization(r)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if req == nil || h.authz == nil {
		h.message(w, r, http.StatusBadRequest, msgAuthorizeGone)
		return
	}
	h.continueAuthorization(w, r, s, req)
}

// needsLogin reports whether the session must (re-)authenticate for req.
func (h *Handler) needsLogin(s *keypad.Session, req *oauth.AuthorizationRequest) bool {
	if s.Subject == "" {
		return true
	}
	return s.Data[dataFresh] == "" && req.NeedsLogin(s.AuthTime, h.now())
}

// continueAuthorization decides the next step: sign-in (OIDC prompt=login,
// max_age), consent (unless remembered, or prompt=consent), or the answer.
func (h *Handler) continueAuthorization(w http.ResponseWriter, r *http.Request, s *keypad.Session, req *oauth.AuthorizationRequest) {
	if h.needsLogin(s, req) {
		if req.HasPrompt("none") {
			h.answerClient(w, r, s, req, oauth.NewError(oauth.CodeLoginRequired, "the person must sign in (again) to answer this request"))
			return
		}
		kv := map[string]string{dataReturn: "authorize"}
		if s.Subject != "" {
			kv[dataReauth] = "1"
		}
		if err := h.updateData(r, s, kv); err != nil {
			h.internalError(w, r, err)
			return
		}
		http.Redirect(w, r, h.url("/login"), http.StatusSeeOther)
		return
	}
	remembered, err := h.authz.ConsentRemembered(r.Context(), req, s.Subject)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if !remembered {
		if req.HasPrompt("none") {
			h.answerClient(w, r, s, req, oauth.NewError(oauth.CodeConsentRequired, "the person has not consented to this client and scope"))
			return
		}
		http.Redirect(w, r, h.url("/consent"), http.StatusSeeOther)
		return
	}
	h.approveAuthorization(w, r, s, req, "remembered")
}

// approveAuthorization answers the client with a code.
func (h *Handler) approveAuthorization(w http.ResponseWriter, r *http.Request, s *keypad.Session, req *oauth.AuthorizationRequest, how string) {
	to, err := h.authz.ApproveAuthorization(r.Context(), req, oauth.Approval{Subject: s.Subject, AuthTime: s.AuthTime, AMR: s.AMR})
	if errors.Is(err, oauth.ErrAuthorizationGone) {
		h.endAuthorization(r, s)
		h.message(w, r, http.StatusGone, msgAuthorizeGone)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.endAuthorization(r, s)
	h.audit(r, "authorize.approved", req.ClientID, s.Subject, "consent="+how)
	h.metrics.Event("authcode", "consent_"+how)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// answerClient sends the browser back to the client with an error.
func (h *Handler) answerClient(w http.ResponseWriter, r *http.Request, s *keypad.Session, req *oauth.AuthorizationRequest, e *oauth.Error) {
	subject := ""
	if s != nil {
		h.endAuthorization(r, s)
		subject = s.Subject
	}
	h.audit(r, "authorize."+e.Code, req.ClientID, subject, "")
	http.Redirect(w, r, h.authz.AuthorizationErrorRedirect(req, e), http.StatusSeeOther)
}

// endAuthorization forgets the request, so the page cannot be replayed.
func (h *Handler) endAuthorization(r *http.Request, s *keypad.Session) {
	kv := map[string]string{dataAuthorize: "", dataFresh: "", dataReauth: "", dataReturn: "", dataUILocales: ""}
	if err := h.updateData(r, s, kv); err != nil {
		h.log.ErrorContext(r.Context(), "web: clear authorize state", "err", err)
	}
}

// authorizeConsent serves /consent while an authorize request is pending
// (and no device request is), and reports whether it did.
func (h *Handler) authorizeConsent(w http.ResponseWriter, r *http.Request) bool {
	s, req, err := h.pendingAuthorization(r)
	if err != nil {
		h.internalError(w, r, err)
		return true
	}
	if req == nil || s.Data[dataDevice] != "" || h.authz == nil {
		return false
	}
	if h.needsLogin(s, req) {
		http.Redirect(w, r, h.url("/authorize/continue"), http.StatusSeeOther)
		return true
	}
	if r.Method == http.MethodPost {
		h.authorizeConsentSubmit(w, r, s, req)
		return true
	}
	c, err := h.store.GetClient(r.Context(), req.ClientID)
	if errors.Is(err, keypad.ErrNotFound) {
		h.endAuthorization(r, s)
		h.message(w, r, http.StatusGone, msgAuthorizeGone)
		return true
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("load client: %w", err))
		return true
	}
	l := h.Localizer(r)
	lines, err := h.scopeLines(r.Context(), l, req.Scopes)
	if err != nil {
		h.internalError(w, r, err)
		return true
	}
	host := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil && u.Host != "" {
		host = u.Host
	}
	h.allowRedirect(w, s)
	h.render(w, r, http.StatusOK, "consent", consentData{
		common:            h.common(r, t("consent.heading", "Client", clientName(c)), h.subjectName(r, s.Subject)),
		ClientName:        clientName(c),
		ClientDescription: c.DescriptionIn(l.Tag()),
		Scopes:            lines,
		ForApp:            true,
		ReturnTo:          host,
		Request:           consentRef(s),
	})
	return true
}

// authorizeConsentSubmit serves POST /consent for an authorize request.
func (h *Handler) authorizeConsentSubmit(w http.ResponseWriter, r *http.Request, s *keypad.Session, req *oauth.AuthorizationRequest) {
	if !consentMatches(r, s) {
		h.consentSwapped(w, r, s, req.ClientID, msgAuthorizeGone)
		return
	}
	switch r.PostFormValue("action") {
	case "approve":
		h.approveAuthorization(w, r, s, req, "given")
	case "deny":
		h.metrics.Event("authcode", "denied")
		h.answerClient(w, r, s, req, oauth.AccessDenied("the person declined the request"))
	default:
		h.message(w, r, http.StatusBadRequest, msgMethod)
	}
}

// scopeLines puts scopes in words, in l's language where the scope has
// them: the scope catalogue's, or keypad's own for the OpenID Connect
// scopes, or else the bare name.
func (h *Handler) scopeLines(ctx context.Context, l *i18n.Localizer, names []string) ([]scopeLine, error) {
	lines := make([]scopeLine, 0, len(names))
	for _, name := range names {
		line := scopeLine{Text: name}
		sc, err := h.store.GetScope(ctx, name)
		switch {
		case err == nil && sc.DescriptionIn(l.Tag()) != "":
			line = scopeLine{Text: sc.DescriptionIn(l.Tag()), Name: name}
		case err != nil && !errors.Is(err, keypad.ErrNotFound):
			return nil, fmt.Errorf("load scope: %w", err)
		default:
			for _, o := range oauth.OIDCScopes {
				if o.Name == name {
					line = scopeLine{Text: l.T("scope.oidc." + name), Name: name}
				}
			}
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// authorizeClientName names the app a pending authorize request signs in
// to, for the sign-in page ("" when there is none).
func (h *Handler) authorizeClientName(r *http.Request, s *keypad.Session) string {
	if s == nil || s.Data[dataAuthorize] == "" || s.Data[dataDevice] != "" {
		return ""
	}
	var req oauth.AuthorizationRequest
	if json.Unmarshal([]byte(s.Data[dataAuthorize]), &req) != nil {
		return ""
	}
	c, err := h.store.GetClient(r.Context(), req.ClientID)
	if err != nil {
		return ""
	}
	return clientName(c)
}

// allowRedirect widens the page's form-action to the origin of the pending
// authorize request's redirect URI. Browsers apply form-action to the
// redirects that follow a form post, and the sign-in and consent forms end
// in a redirect to the client: with 'self' alone Chromium would stop
// there.
func (h *Handler) allowRedirect(w http.ResponseWriter, s *keypad.Session) {
	if s == nil || s.Data[dataAuthorize] == "" || s.Data[dataDevice] != "" {
		return
	}
	var req oauth.AuthorizationRequest
	if json.Unmarshal([]byte(s.Data[dataAuthorize]), &req) != nil {
		return
	}
	if src := cspSource(req.RedirectURI); src != "" {
		w.Header().Set("Content-Security-Policy",
			strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+src, 1))
	}
}

// cspSource is the CSP source expression of a redirect URI's origin (a
// host-source for http and https, a scheme-source for a native app's
// private-use scheme), or "" when it cannot be written safely.
func cspSource(redirect string) string {
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme == "" {
		return ""
	}
	src := u.Scheme + ":"
	if u.Scheme == "http" || u.Scheme == "https" {
		src = u.Scheme + "://" + u.Host
	}
	for _, c := range src {
		if c <= ' ' || c > '~' || strings.ContainsRune(`;,'"`, c) {
			return ""
		}
	}
	return src
}

// reauthUsername fills in the username when a signed-in person is asked
// to sign in again.
func (h *Handler) reauthUsername(r *http.Request, s *keypad.Session) string {
	if s == nil || s.Subject == "" || s.Data[dataReauth] == "" {
		return ""
	}
	sub, err := h.store.GetSubject(r.Context(), s.Subject)
	if err != nil {
		return ""
	}
	return sub.Username
}
