package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/oauth"
)

// "My devices": every app and device that can use the person's account,
// one entry per grant, each with a Revoke button. Revoking a grant ends
// its refresh and opaque access tokens in the store and makes its JWT
// access tokens inactive at introspection at once (they carry its ID);
// other grants, even of the same client, are untouched.

type devicesData struct {
	common
	Notice string // in the page's language
	Grants []grantLine
}

type grantLine struct {
	ID         string
	Name       string // the client's name, or the device's own
	ClientName string // shown under a device's own name
	Connected  string
	LastUsed   string
	How        string
	Scopes     []scopeLine
}

// dataNotice carries a one-time notice to the next page view: the name
// of the device or app just revoked (the words are the catalogue's,
// in the language the next page speaks).
const dataNotice = "notice"

// flowWords says how a grant came about: the catalogue keys.
var flowWords = map[string]string{
	keypad.GrantAuthorizationCode: "devices.how.authcode",
	keypad.GrantDeviceCode:        "devices.how.device",
	keypad.GrantOTP:               "devices.how.otp",
	keypad.GrantPassword:          "devices.how.password",
}

// devicesPage serves GET /account/devices.
func (h *Handler) devicesPage(w http.ResponseWriter, r *http.Request) {
	s := h.signedInFor(w, r)
	if s == nil {
		return
	}
	grants, err := h.store.ListGrants(r.Context(), s.Subject, "")
	if err != nil {
		h.internalError(w, r, fmt.Errorf("list grants: %w", err))
		return
	}
	l := h.Localizer(r)
	clients := map[string]*keypad.Client{}
	var lines []grantLine
	for _, g := range grants {
		if !g.RevokedAt.IsZero() || g.Subject != s.Subject {
			continue
		}
		c, ok := clients[g.ClientID]
		if !ok {
			c, err = h.store.GetClient(r.Context(), g.ClientID)
			if errors.Is(err, keypad.ErrNotFound) {
				continue // deleted with everything it had
			}
			if err != nil {
				h.internalError(w, r, fmt.Errorf("load client: %w", err))
				return
			}
			clients[g.ClientID] = c
		}
		scopes, err := h.scopeLines(r.Context(), l, g.Scopes)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		line := grantLine{
			ID: g.ID, Name: clientName(c), Connected: day(l, g.CreatedAt),
			LastUsed: day(l, g.LastUsedAt), Scopes: scopes,
		}
		if key := flowWords[g.Flow]; key != "" {
			line.How = l.T(key)
		}
		if g.DeviceName != "" {
			line.Name, line.ClientName = g.DeviceName, clientName(c)
		}
		lines = append(lines, line)
	}
	notice := ""
	if name := s.Data[dataNotice]; name != "" {
		notice = l.T("devices.revoked", "Name", name)
		if err := h.updateData(r, s, map[string]string{dataNotice: ""}); err != nil {
			h.log.ErrorContext(r.Context(), "web: clear notice", "err", err)
		}
	}
	h.render(w, r, http.StatusOK, "devices", devicesData{
		common: h.common(r, t("devices.heading"), h.subjectName(r, s.Subject)),
		Notice: notice,
		Grants: lines,
	})
}

// devicesSubmit serves POST /account/devices: grant=ID revokes that grant,
// if it is the signed-in person's. Cross-origin posts never get here
// (http.CrossOriginProtection).
func (h *Handler) devicesSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.signedInFor(w, r)
	if s == nil {
		return
	}
	ctx := r.Context()
	g, err := h.flows.RevokeGrant(ctx, s.Subject, r.PostFormValue("grant"))
	if errors.Is(err, oauth.ErrNoSuchGrant) {
		// Someone else's grant reads the same as none.
		h.message(w, r, http.StatusNotFound, msgNoSuchDevice)
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	name := g.DeviceName
	if c, err := h.store.GetClient(ctx, g.ClientID); err == nil && name == "" {
		name = clientName(c)
	}
	if name == "" {
		name = g.ClientID
	}
	h.audit(r, "grant.revoked", g.ClientID, s.Subject, "grant="+g.ID+" by=owner")
	h.metrics.Event("grant", "revoked")
	if err := h.updateData(r, s, map[string]string{dataNotice: name}); err != nil {
		h.log.ErrorContext(ctx, "web: set notice", "err", err)
	}
	http.Redirect(w, r, h.url("/account/devices"), http.StatusSeeOther)
}

// signedInFor returns the signed-in session, or sends the person to sign
// in (coming back to "my devices") and returns nil.
func (h *Handler) signedInFor(w http.ResponseWriter, r *http.Request) *keypad.Session {
	s, _, err := h.currentSession(r)
	if err != nil {
		h.internalError(w, r, err)
		return nil
	}
	if s != nil && s.Subject != "" {
		return s
	}
	if s == nil {
		if s, err = h.startSession(w, r, &keypad.Session{}); err != nil {
			h.internalError(w, r, err)
			return nil
		}
	}
	if err := h.updateData(r, s, map[string]string{dataReturn: "devices"}); err != nil {
		h.internalError(w, r, err)
		return nil
	}
	http.Redirect(w, r, h.url("/login"), http.StatusSeeOther)
	return nil
}

// day shows when something happened, to the minute, in the page's
// language and the server's time zone.
func day(l *i18n.Localizer, t time.Time) string {
	if t.IsZero() {
		return l.T("devices.never")
	}
	return l.DateTime(t)
}

var msgNoSuchDevice = msg{
	Kind:    "error",
	Heading: t("devices.nosuch.heading"),
	Lines:   []text{t("devices.nosuch.line")},
	Action:  t("devices.nosuch.action"), ActionPath: "/account/devices",
}
