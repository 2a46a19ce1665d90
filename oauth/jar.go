package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token/jose"
)

// JWT-secured authorization requests (RFC 9101): the client signs its
// authorization request's parameters as a JWT, the request object, with
// a key it registered for private_key_jwt (--jwks or --jwks-uri), and
// sends it as request, to the authorization endpoint or pushed to the PAR
// endpoint. When one is sent, only the parameters inside it count.
// Request objects by reference (request_uri pointing at the client's
// server) are not supported: a client pushes instead (par.go).

// CodeInvalidRequestObject answers a request object that does not verify
// or whose claims are wrong (RFC 9101 §6.3).
const CodeInvalidRequestObject = "invalid_request_object"

// Bounds on a request object's lifetime: exp at most an hour after nbf
// (or after now, without nbf), one minute of clock skew.
const (
	requestObjectMaxLifetime = time.Hour
	requestObjectSkew        = time.Minute
)

// requestObjectTypes are the typ values a request object may carry: RFC
// 9101 §10.8's own, or none or JWT from clients that predate it. Any other
// (dpop+jwt, at+jwt) is a JWT made for something else.
var requestObjectTypes = []string{"", "JWT", "oauth-authz-req+jwt"}

// registered claims of a request object that are not request parameters.
var requestObjectClaims = []string{"iss", "aud", "exp", "nbf", "iat", "jti"}

func invalidRequestObject(format string, args ...any) *Error {
	return NewError(CodeInvalidRequestObject, format, args...)
}

// requestObject verifies client's request object raw (RFC 9101 §6) and
// returns the parameters it carries, client_id included: signed with one
// of the client's registered keys, iss the client, aud the issuer, exp
// set and not past, nbf (if any) not ahead, and living at most an hour.
func (f *authCodeFlow) requestObject(ctx context.Context, client *keypad.Client, raw string) (url.Values, *Error) {
	if len(client.Options.AssertionKeys) == 0 && client.Options.JWKSURI == "" {
		return nil, invalidRequestObject("this client has no registered keys to verify request objects with; register them with --jwks or --jwks-uri")
	}
	j, fail := parseJWS(raw)
	if fail != nil {
		return nil, invalidRequestObject("%s", fail.msg)
	}
	if typ, _ := stringMember(j.header, "typ"); !slices.Contains(requestObjectTypes, typ) {
		return nil, invalidRequestObject("a request object's typ must be oauth-authz-req+jwt, not '%s'", typ)
	}
	now := f.s.now()
	if fail, err := f.s.verifyClientAssertion(ctx, client, j, now); err != nil {
		return nil, serverError
	} else if fail != nil {
		return nil, invalidRequestObject("request object: %s", fail.msg)
	}
	if e := checkRequestObjectClaims(j, client.ID, f.s.issuer, now); e != nil {
		return nil, e
	}
	v := url.Values{}
	for name, rawv := range j.claims {
		if slices.Contains(requestObjectClaims, name) {
			continue
		}
		vals, ok := paramValues(rawv)
		if !ok || (len(vals) > 1 && name != "resource") {
			return nil, invalidRequestObject("the request object's claim '%s' is not a request parameter value (a string or number; an array only for resource)", name)
		}
		v[name] = vals
	}
	if id := v.Get("client_id"); id != "" && id != client.ID {
		return nil, invalidRequestObject("the request object's client_id is '%s', not the client's '%s'", id, client.ID)
	}
	if v.Has("request") || v.Has("request_uri") {
		return nil, invalidRequestObject("a request object cannot hold request or request_uri")
	}
	v.Set("client_id", client.ID)
	return v, nil
}

func checkRequestObjectClaims(j *jws, clientID, issuer string, now time.Time) *Error {
	iss, _ := stringMember(j.claims, "iss")
	auds, _ := audienceMember(j.claims, "aud")
	exp, hasExp, okExp := timeMember(j.claims, "exp")
	nbf, hasNbf, okNbf := timeMember(j.claims, "nbf")
	start := now
	if hasNbf {
		start = nbf
	}
	switch {
	case iss != clientID:
		return invalidRequestObject("the request object's iss must be the client ID '%s'", clientID)
	case !slices.Contains(auds, issuer):
		return invalidRequestObject("the request object's aud must name the issuer '%s'", issuer)
	case !hasExp || !okExp:
		return invalidRequestObject("the request object needs exp (a NumericDate)")
	case !now.Before(exp.Add(requestObjectSkew)):
		return invalidRequestObject("the request object has expired; sign a new one")
	case !okNbf:
		return invalidRequestObject("the request object's nbf is not a NumericDate")
	case hasNbf && now.Add(requestObjectSkew).Before(nbf):
		return invalidRequestObject("the request object is not valid yet (nbf is ahead); check the client's clock")
	case exp.Sub(start) > requestObjectMaxLifetime:
		return invalidRequestObject("the request object lives longer than %v (exp - nbf); sign one with a shorter exp", requestObjectMaxLifetime)
	}
	return nil
}

// paramValues reads a claim as the values of a request parameter.
func paramValues(raw json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseFloat(string(n), 64); err == nil {
			return []string{string(n)}, true
		}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, true
	}
	return nil, false
}

// requestObjectAlgs is request_object_signing_alg_values_supported.
var requestObjectAlgs = jose.Algorithms()

// signedParams replaces a request carrying a request object with the
// object's parameters (RFC 9101 §6.3): the client_id outside must name
// the client that signed it; every other outside parameter is ignored.
func (f *authCodeFlow) signedParams(r *http.Request, v url.Values) (url.Values, *Error) {
	if len(v["request"]) > 1 || len(v["client_id"]) > 1 {
		return nil, InvalidRequest("send request and client_id once each")
	}
	clientID := v.Get("client_id")
	if clientID == "" {
		return nil, InvalidRequest("client_id is missing; send it with the request object")
	}
	client, err := f.s.client(r.Context(), clientID)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, InvalidRequest("client_id '%s' is not a registered client", clientID)
	}
	if err != nil {
		return nil, f.s.wireError(r, err)
	}
	return f.requestObject(r.Context(), client, v.Get("request"))
}
