package oauth

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// Pushed authorization requests (RFC 9126): a client sends its
// authorization request's parameters straight to keypad, authenticated,
// and gets back a request_uri that stands for them; the browser then
// carries only client_id and request_uri. Nothing of the request can be
// changed or read on the way, and keypad checks it before the person
// sees anything.

// PathPAR is the pushed authorization request endpoint (DESIGN.md).
const PathPAR = "/oauth2/par"

const (
	// PARLifetime is how long a request_uri can be used: long enough for
	// a redirect, short enough that one copied off the wire is soon
	// worthless (RFC 9126 §2.2 suggests 5 to 600 s; FAPI 2.0 asks ≤ 60 s).
	PARLifetime = 60 * time.Second
	// requestURIPrefix is RFC 9126 §2.2's URN; 256 random bits follow.
	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	// CodeInvalidRequestURI answers a request_uri that is unknown, used
	// or expired (RFC 9101 §7).
	CodeInvalidRequestURI = "invalid_request_uri"
)

// clientAuthParams are the parameters of client authentication at the
// PAR endpoint: they are not part of the authorization request kept.
var clientAuthParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// installPAR serves POST /oauth2/par with the authorization code flow.
func (f *authCodeFlow) installPAR() {
	f.s.handle("POST "+PathPAR, http.HandlerFunc(f.handlePAR))
	f.s.setMetadata("pushed_authorization_request_endpoint", f.s.Endpoint(PathPAR))
	// Per client (--require-par); the server as a whole takes both.
	f.s.setMetadata("require_pushed_authorization_requests", false)
}

// handlePAR is RFC 9126 §2: authenticate the client, check the request
// as the authorization endpoint would, keep it under a fresh request_uri
// (stored as its hash) for PARLifetime, and answer 201 with it.
func (f *authCodeFlow) handlePAR(w http.ResponseWriter, r *http.Request) {
	uri, err := f.push(w, r)
	if err != nil {
		f.s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": uri, "expires_in": int(PARLifetime / time.Second)})
}

func (f *authCodeFlow) push(w http.ResponseWriter, r *http.Request) (string, error) {
	v, e := authorizeParams(w, r)
	if e != nil {
		return "", e
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if len(v[name]) > 1 && name != "resource" {
			return "", InvalidRequest("parameter '%s' is repeated; send it once", name)
		}
	}
	client, _, err := f.s.authenticateClient(r, v)
	if err != nil {
		return "", err
	}
	if v.Has("request_uri") {
		return "", InvalidRequest("request_uri cannot be pushed (RFC 9126 section 2.1); push the parameters themselves")
	}
	if v.Has("request") {
		// RFC 9126 §3: a pushed request object; only its parameters count.
		if v, e = f.requestObject(r.Context(), client, v.Get("request")); e != nil {
			return "", e
		}
	}
	v.Set("client_id", client.ID)
	for _, name := range clientAuthParams {
		v.Del(name)
	}
	if _, e := f.check(client, v); e != nil {
		return "", e
	}
	// The URN and 256 random bits (RFC 9126 §2.2 asks for enough
	// entropy that a request_uri cannot be guessed).
	uri, err := token.NewSecret(f.s.rand, requestURIPrefix)
	if err != nil {
		return "", err
	}
	now := f.s.now()
	err = f.store.CreatePushedRequest(r.Context(), &keypad.PushedRequest{
		Hash: keypad.SecretHash(uri), ClientID: client.ID, Params: v.Encode(),
		CreatedAt: now, ExpiresAt: now.Add(PARLifetime),
	})
	if err != nil {
		return "", err
	}
	f.s.metrics.Event("par", "pushed")
	return uri, nil
}

// check is what the authorization endpoint checks, for a pushed request.
func (f *authCodeFlow) check(client *keypad.Client, v url.Values) (*AuthorizationRequest, *Error) {
	if to, why := resolveRedirectURI(client, v.Get("redirect_uri")); to == "" {
		return nil, InvalidRequest("%s", why)
	}
	if len(v.Get("state")) > maxParamLen {
		return nil, InvalidRequest("state is longer than %d characters", maxParamLen)
	}
	req, e := f.parseRest(client, v)
	if e != nil {
		return nil, e
	}
	if hasScope(req.Scopes, "openid") && !v.Has("redirect_uri") {
		return nil, InvalidRequest("redirect_uri is required with scope openid (OpenID Connect Core section 3.1.2.1)")
	}
	return req, nil
}

// pushedParams replaces a request that names a request_uri with the
// parameters pushed under it (RFC 9126 §4): the client_id must be the
// pushing client's, and the request_uri is used up, even if the request
// then fails. Every other parameter of the browser's request is ignored.
func (f *authCodeFlow) pushedParams(r *http.Request, v url.Values) (url.Values, *Error) {
	uri, clientID := v.Get("request_uri"), v.Get("client_id")
	if len(v["request_uri"]) > 1 || len(v["client_id"]) > 1 {
		return nil, InvalidRequest("send request_uri and client_id once each")
	}
	if clientID == "" {
		return nil, InvalidRequest("client_id is missing; send it with the request_uri")
	}
	if !strings.HasPrefix(uri, requestURIPrefix) || len(uri) > 200 {
		return nil, NewError(CodeInvalidRequestURI, "request_uri must be one keypad's pushed authorization request endpoint (%s) gave out; request objects by reference to other URLs are not supported", PathPAR)
	}
	p, err := f.store.ConsumePushedRequest(r.Context(), keypad.SecretHash(uri), f.s.now())
	switch {
	case errors.Is(err, keypad.ErrNotFound), errors.Is(err, keypad.ErrConsumed), errors.Is(err, keypad.ErrExpired):
		f.s.metrics.Event("par", "refused")
		return nil, NewError(CodeInvalidRequestURI, "the request_uri is unknown, already used or expired (it works once, for %v); push the request again", PARLifetime)
	case err != nil:
		return nil, f.s.wireError(r, err)
	case p.ClientID != clientID:
		return nil, NewError(CodeInvalidRequestURI, "the request_uri was pushed by another client than client_id '%s'", clientID)
	}
	pv, err := url.ParseQuery(p.Params)
	if err != nil {
		return nil, f.s.wireError(r, err)
	}
	return pv, nil
}
