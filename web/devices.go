package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// "My devices": every app and device that can use the person's account,
// one entry per grant, each with a Revoke button. Revoking a grant ends
// its refresh and opaque access tokens in the store and makes its JWT
// access tokens inactive at introspection at once (they carry its ID);
// other grants, even of the same client, are untouched.

type devicesData struct {
	common
	Notice string
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

// dataNotice carries a one-time notice to the next page view.
const dataNotice = "notice"

// flowWords says how a grant came about, in words.
var flowWords = map[string]string{
	keypad.GrantAuthorizationCode: "Signed in through the website or app",
	keypad.GrantDeviceCode:        "Connected with a code on its screen",
	keypad.GrantOTP:               "Connected with a code we sent you",
	keypad.GrantPassword:          "Signed in with your password in the app",
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
		scopes, err := h.scopeLines(r.Context(), g.Scopes)
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		line := grantLine{
			ID: g.ID, Name: clientName(c), Connected: day(g.CreatedAt),
			LastUsed: day(g.LastUsedAt), How: flowWords[g.Flow], Scopes: scopes,
		}
		if g.DeviceName != "" {
			line.Name, line.ClientName = g.DeviceName, clientName(c)
		}
		lines = append(lines, line)
	}
	notice := s.Data[dataNotice]
	if notice != "" {
		if err := h.updateData(r, s, map[string]string{dataNotice: ""}); err != nil {
			h.log.ErrorContext(r.Context(), "web: clear notice", "err", err)
		}
	}
	h.render(w, r, http.StatusOK, "devices", devicesData{
		common: h.common("Your devices and apps", h.subjectName(r, s.Subject)),
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
	if err := h.updateData(r, s, map[string]string{dataNotice: name + " can no longer use your account."}); err != nil {
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

// day shows when something happened, to the minute, in UTC.
func day(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

var msgNoSuchDevice = msg{
	Kind:    "error",
	Heading: "That device or app is not connected to your account",
	Lines:   []string{"It may have been removed already. Nothing was changed."},
	Action:  "See your devices and apps", ActionPath: "/account/devices",
}
