package oauth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/keypadauth/keypad"
)

// A software statement (RFC 7591 §2.3) is a JWT signed by an authority the
// operator trusts (a federation, a data-sharing directory) asserting
// metadata of client software: its name, redirect URIs, software_id. Its
// claims win over the request's members of the same name, so a client
// cannot register under the statement another name or other redirect
// URIs than the authority vouched for. It proves what the authority
// signed, not who sends it: anyone holding a copy may present it.

// statementSkew is how far an authority's clock may be off when exp, nbf
// and iat are checked.
const statementSkew = time.Minute

// verifyStatement checks a software statement: a compact JWS whose iss is
// a registered authority, signed by one of its keys, not expired nor
// not-yet-valid. It returns the claims and the issuer.
func (s *Server) verifyStatement(ctx context.Context, statement string) (map[string]json.RawMessage, string, error) {
	bad := func(format string, args ...any) (map[string]json.RawMessage, string, error) {
		return nil, "", NewError(CodeInvalidSoftwareStatement, format, args...)
	}
	j, fail := parseJWS(statement)
	if fail != nil {
		return bad("software_statement: %s", fail.msg)
	}
	iss, ok := stringMember(j.claims, "iss")
	if !ok || iss == "" {
		return bad("software_statement has no iss: the authority that signed it must name itself")
	}
	keys, err := s.authorityKeys(ctx, iss)
	if err != nil {
		return nil, "", err
	}
	if keys == nil {
		return bad("software_statement is from %q, which is not an authority this server accepts statements from", iss)
	}
	if fail := j.verify(keys); fail != nil {
		return bad("software_statement from %q: the signature does not verify with the authority's keys", iss)
	}
	now := s.now()
	exp, hasExp, ok1 := timeMember(j.claims, "exp")
	nbf, hasNbf, ok2 := timeMember(j.claims, "nbf")
	if !ok1 || !ok2 {
		return bad("software_statement: exp and nbf must be NumericDate numbers (seconds since 1970)")
	}
	if hasExp && !now.Before(exp.Add(statementSkew)) {
		return bad("software_statement from %q expired at %s; ask the authority for a current one", iss, exp.UTC().Format(time.RFC3339))
	}
	if hasNbf && now.Add(statementSkew).Before(nbf) {
		return bad("software_statement from %q is not valid before %s", iss, nbf.UTC().Format(time.RFC3339))
	}
	return j.claims, iss, nil
}

// authorityKeys returns the keys of the authority iss, fetching them from
// its jwks_uri (cached like clients' sets); nil for an unknown issuer.
func (s *Server) authorityKeys(ctx context.Context, iss string) ([]keypad.AssertionKey, error) {
	if keys, ok := s.reg.keys[iss]; ok {
		return keys, nil
	}
	uri, ok := s.reg.uris[iss]
	if !ok {
		return nil, nil
	}
	// The fetcher caches per client; an authority takes a name no client
	// ID can have (a NUL byte).
	s.jwks.init(s.cfg.ClientJWKS)
	keys, _, err := s.jwks.keys(ctx, &keypad.Client{ID: "\x00authority", Options: keypad.ClientOptions{JWKSURI: uri}}, s.now(), false)
	if err != nil {
		return nil, NewError(CodeInvalidSoftwareStatement, "software_statement from %q: the authority's keys could not be read: %v", iss, err)
	}
	return keys, nil
}
