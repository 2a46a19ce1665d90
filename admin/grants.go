package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// grantJSON is a grant: one authorisation a person gave one client or
// device, what their "my devices" page lists.
type grantJSON struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	ClientID   string    `json:"client_id"`
	DeviceName string    `json:"device_name,omitempty"`
	Flow       string    `json:"flow"`
	Scopes     []string  `json:"scopes"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func grantOf(g *keypad.Grant) grantJSON {
	return grantJSON{ID: g.ID, Subject: g.Subject, ClientID: g.ClientID, DeviceName: g.DeviceName,
		Flow: g.Flow, Scopes: nonNil(g.Scopes), CreatedAt: g.CreatedAt.UTC(),
		LastUsedAt: g.LastUsedAt.UTC(), RevokedAt: g.RevokedAt.UTC()}
}

// flowNames lets a list filter by a grant type's short name.
var flowNames = map[string]string{"device_code": keypad.GrantDeviceCode, "otp": keypad.GrantOTP, "ciba": keypad.GrantCIBA}

// listGrants lists the grants of one person (?subject=) or one client
// (?client_id=), by ID, active ones unless ?all=true; ?flow= narrows
// them to one grant type (flow=device_code: the devices linked with the
// device flow).
func (a *API) listGrants(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r, "subject", "client_id", "all", "flow")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	gs, err := a.grantsOf(r, q.Get("subject"), q.Get("client_id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	switch q.Get("all") {
	case "", "false":
		gs = manage.ActiveGrants(gs)
	case "true":
	default:
		a.fail(w, r, invalid("all", "is true or false"))
		return
	}
	if f := q.Get("flow"); f != "" {
		f = cmpOr(flowNames[f], f)
		gs = slices.DeleteFunc(gs, func(g *keypad.Grant) bool { return g.Flow != f })
	}
	slices.SortFunc(gs, func(x, y *keypad.Grant) int { return strings.Compare(x.ID, y.ID) })
	writeJSON(w, http.StatusOK, window(gs, p, func(g *keypad.Grant) string { return g.ID }, grantOf))
}

// grantsOf are the grants of a person or a client (exactly one given),
// refusing an unknown one so that a typo does not read as "none".
func (a *API) grantsOf(r *http.Request, subject, client string) ([]*keypad.Grant, error) {
	ctx := r.Context()
	switch {
	case (subject == "") == (client == ""):
		return nil, invalid("subject", "give exactly one of subject or client_id")
	case subject != "":
		if _, err := a.store.GetSubject(ctx, subject); errors.Is(err, keypad.ErrNotFound) {
			return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no person %q", subject))
		} else if err != nil {
			return nil, err
		}
	default:
		if _, err := a.store.GetClient(ctx, client); errors.Is(err, keypad.ErrNotFound) {
			return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no client %q", client))
		} else if err != nil {
			return nil, err
		}
	}
	return a.store.ListGrants(ctx, subject, client)
}

// findGrant reads the grant the path names.
func (a *API) findGrant(r *http.Request) (*keypad.Grant, error) {
	id := r.PathValue("id")
	g, err := a.store.GetGrant(r.Context(), id)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no grant %q: see GET /admin/v1/grants?subject=…", id))
	}
	return g, err
}

func (a *API) getGrant(w http.ResponseWriter, r *http.Request) {
	g, err := a.findGrant(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	body := grantOf(g)
	b, _ := json.Marshal(body)
	writeResource(w, http.StatusOK, contentTag(string(b)), body)
}

// revokeGrant revokes one grant and every token issued under it, as
// `keypad token revoke --grant` does. A grant already revoked stays so.
func (a *API) revokeGrant(w http.ResponseWriter, r *http.Request) {
	g, err := a.findGrant(r)
	if err == nil && g.RevokedAt.IsZero() {
		_, err = manage.RevokeGrants(r.Context(), a.store, []*keypad.Grant{g}, a.now().UTC(), by(r))
	}
	if err != nil {
		a.fail(w, r, a.gone(err, "grant", r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// revokeBody names whose tokens to revoke: exactly one member.
type revokeBody struct {
	Subject  string `json:"subject,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	GrantID  string `json:"grant_id,omitempty"`
	// Token is one token's value (access or refresh, JWT or opaque).
	Token string `json:"token,omitempty"`
}

// revokeResult lists the grants a revocation ended and, for a token named
// by value, the token.
type revokeResult struct {
	RevokedGrants []string      `json:"revoked_grants"`
	RevokedToken  *revokedToken `json:"revoked_token,omitempty"`
}

// revokedToken is the token a revocation by value ended: never its value.
type revokedToken struct {
	ClientID string `json:"client_id"`
	Kind     string `json:"kind"`
}

// revokeTokens revokes every token of a person, of a client or of one
// grant (`keypad token revoke`): by their grants, which end with them.
func (a *API) revokeTokens(w http.ResponseWriter, r *http.Request) {
	var in revokeBody
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Token != "" {
		a.revokeTokenValue(w, r, in)
		return
	}
	var targets []*keypad.Grant
	var err error
	switch {
	case in.GrantID != "" && in.Subject == "" && in.ClientID == "":
		var g *keypad.Grant
		r.SetPathValue("id", in.GrantID)
		if g, err = a.findGrant(r); err == nil {
			targets = manage.ActiveGrants([]*keypad.Grant{g})
		}
	case in.GrantID == "":
		var gs []*keypad.Grant
		if gs, err = a.grantsOf(r, in.Subject, in.ClientID); err == nil {
			targets = manage.ActiveGrants(gs)
		}
	default:
		err = invalid("grant_id", "give exactly one of subject, client_id, grant_id or token")
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	revoked, err := manage.RevokeGrants(r.Context(), a.store, targets, a.now().UTC(), by(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, revokeResult{RevokedGrants: revoked})
}

// revokeTokenValue revokes the one token in.Token names: an access token
// ends alone, a refresh token with its rotation family and its grant. A
// token keypad did not issue, or a JWT already expired, is a 404.
func (a *API) revokeTokenValue(w http.ResponseWriter, r *http.Request, in revokeBody) {
	if in.Subject != "" || in.ClientID != "" || in.GrantID != "" {
		a.fail(w, r, invalid("token", "give exactly one of subject, client_id, grant_id or token"))
		return
	}
	done, err := a.oauth.RevokeToken(r.Context(), in.Token)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !done.Found {
		a.fail(w, r, problem(http.StatusNotFound, "not-found", "no live token with that value: keypad did not issue it, or it was a JWT that has expired"))
		return
	}
	if err := manage.TokenRevoked(r.Context(), a.store, done.ClientID, done.Kind, done.GrantID, a.now().UTC(), by(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	res := revokeResult{RevokedGrants: []string{}, RevokedToken: &revokedToken{ClientID: done.ClientID, Kind: string(done.Kind)}}
	if done.GrantID != "" {
		res.RevokedGrants = append(res.RevokedGrants, done.GrantID)
	}
	writeJSON(w, http.StatusOK, res)
}

// by names the admin client a request acts for, for the audit log.
func by(r *http.Request) string {
	if c := callerOf(r); c != nil {
		return "admin-api:" + c.ClientID
	}
	return "admin-api"
}
