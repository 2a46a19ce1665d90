package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

type consentData struct {
	common
	ClientName        string
	ClientDescription string
	Scopes            []scopeLine
	RequestedAt       string // "14:02 UTC"
	ExpiresIn         string // "8 minutes"
	// ForApp marks an authorize request (a website or app rather than a
	// device); ReturnTo is the host the person goes back to.
	ForApp   bool
	ReturnTo string
	// Request is consentRef of the request shown, posted back with the
	// answer so that only that request can be answered.
	Request string
}

type scopeLine struct {
	Text string // the catalogue's words, or the name when there are none
	Name string // shown small, for people who want the technical name
}

type doneData struct {
	common
	Approved   bool
	ClientName string
}

// consentState is what the consent page works from: the signed-in
// session and the device request this session entered a code for.
type consentState struct {
	sess   *keypad.Session
	device *keypad.DeviceAuthorization
	client *keypad.Client
}

// loadConsent finds the consent state, or answers the request itself (a
// redirect to sign-in or an explanatory page) and returns nil.
func (h *Handler) loadConsent(w http.ResponseWriter, r *http.Request) *consentState {
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if s == nil || s.Data[dataDevice] == "" {
		h.message(w, r, http.StatusBadRequest, msgSessionExpired)
		return nil
	}
	if s.Subject == "" {
		if err := h.updateData(r, s, map[string]string{dataReturn: "consent"}); err != nil {
			h.internalError(w, r, err)
			return nil
		}
		http.Redirect(w, r, h.url("/login"), http.StatusSeeOther)
		return nil
	}
	hash, err := hex.DecodeString(s.Data[dataDevice])
	if err != nil {
		h.message(w, r, http.StatusBadRequest, msgSessionExpired)
		return nil
	}
	d, err := h.store.GetDeviceAuthorization(r.Context(), hash)
	if errors.Is(err, keypad.ErrNotFound) || (err == nil && !h.pending(d)) {
		h.message(w, r, http.StatusGone, msgRequestGone)
		return nil
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("load device request: %w", err))
		return nil
	}
	c, err := h.store.GetClient(r.Context(), d.ClientID)
	if errors.Is(err, keypad.ErrNotFound) {
		h.message(w, r, http.StatusGone, msgRequestGone)
		return nil
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("load client: %w", err))
		return nil
	}
	return &consentState{sess: s, device: d, client: c}
}

// consentRef names the request a session would have /consent answer:
// its device request if it has one, else its authorize request, "" when
// there is none. The page carries it in a hidden field and POST /consent
// answers only when it still names the session's request. Without it a
// page elsewhere could swap the session's request (a top-level GET of
// /oauth2/authorize carries the cookie) between the consent page being
// shown and the person pressing Allow, and the approval would go to the
// request the person never saw. It is a digest of what the session
// holds, which is no secret, so it needs no key.
func consentRef(s *keypad.Session) string {
	var kind, v string
	switch {
	case s.Data[dataDevice] != "":
		kind, v = "device", s.Data[dataDevice]
	case s.Data[dataAuthorize] != "":
		kind, v = "authorize", s.Data[dataAuthorize]
	default:
		return ""
	}
	sum := sha256.Sum256([]byte(kind + "\x00" + v))
	return hex.EncodeToString(sum[:16])
}

// consentMatches reports whether a POST /consent answers the request the
// session holds now (see consentRef).
func consentMatches(r *http.Request, s *keypad.Session) bool {
	want := consentRef(s)
	got := r.PostFormValue("request")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// consentSwapped answers a POST /consent whose page showed another
// request than the session now holds: nothing is answered, and the
// person is told to start again.
func (h *Handler) consentSwapped(w http.ResponseWriter, r *http.Request, s *keypad.Session, client string, m msg) {
	h.audit(r, "consent.stale", client, s.Subject, "")
	h.metrics.Event("consent", "stale")
	h.message(w, r, http.StatusGone, m)
}

func (h *Handler) pending(d *keypad.DeviceAuthorization) bool {
	return d.Status == keypad.DevicePending && h.now().Before(d.ExpiresAt)
}

// consentForm serves GET /consent: which client asks, what it says about
// itself, and what it may do, in words, with Approve and Deny. Showing
// who asks before anything is approved is the defence against remote
// phishing (RFC 8628 §5.4).
func (h *Handler) consentForm(w http.ResponseWriter, r *http.Request) {
	if h.authorizeConsent(w, r) {
		return
	}
	st := h.loadConsent(w, r)
	if st == nil {
		return
	}
	l := h.Localizer(r)
	lines, err := h.scopeLines(r.Context(), l, st.device.Scopes)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	now := h.now()
	h.render(w, r, http.StatusOK, "consent", consentData{
		common:            h.common(r, t("consent.heading", "Client", clientName(st.client)), h.subjectName(r, st.sess.Subject)),
		ClientName:        clientName(st.client),
		ClientDescription: st.client.DescriptionIn(l.Tag()),
		Scopes:            lines,
		RequestedAt:       l.Time(st.device.CreatedAt),
		ExpiresIn:         l.Minutes(st.device.ExpiresAt.Sub(now)),
		Request:           consentRef(st.sess),
	})
}

func clientName(c *keypad.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// consentSubmit serves POST /consent: action=approve or action=deny, and
// request naming the request the page showed (consentRef). oauth records
// the answer (oauth.Actions.ApproveDevice, DenyDevice): an approval
// creates the Grant the tokens will hang off and marks the request
// approved only if it is still pending.
func (h *Handler) consentSubmit(w http.ResponseWriter, r *http.Request) {
	action := r.PostFormValue("action")
	if action != "approve" && action != "deny" {
		h.message(w, r, http.StatusBadRequest, msgMethod)
		return
	}
	if h.authorizeConsent(w, r) {
		return
	}
	st := h.loadConsent(w, r)
	if st == nil {
		return
	}
	if !consentMatches(r, st.sess) {
		h.consentSwapped(w, r, st.sess, st.device.ClientID, msgRequestGone)
		return
	}
	ctx := r.Context()
	var grant *keypad.Grant
	var err error
	if action == "approve" {
		grant, err = h.flows.ApproveDevice(ctx, st.device.DeviceCodeHash, st.sess.Subject)
	} else {
		err = h.flows.DenyDevice(ctx, st.device.DeviceCodeHash)
	}
	if errors.Is(err, oauth.ErrDeviceNotPending) {
		h.message(w, r, http.StatusGone, msgRequestGone)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if err := h.updateData(r, st.sess, map[string]string{dataDevice: "", dataReturn: ""}); err != nil {
		h.log.ErrorContext(ctx, "web: clear flow state", "err", err)
	}

	event := "denied"
	if grant != nil {
		event = "approved"
	}
	h.metrics.Event("device", event)
	h.audit(r, "device."+event, st.device.ClientID, st.sess.Subject, "")
	title := t("done.approved.heading")
	if grant == nil {
		title = t("done.denied.heading")
	}
	h.render(w, r, http.StatusOK, "done", doneData{
		common:     h.common(r, title, h.subjectName(r, st.sess.Subject)),
		Approved:   grant != nil,
		ClientName: clientName(st.client),
	})
}
