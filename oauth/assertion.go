package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// Defaults of JWTBearerConfig.
const (
	// DefaultAssertionSkew is how far a partner's clock may be off.
	DefaultAssertionSkew = time.Minute
	// DefaultAssertionMaxLifetime is how far ahead an assertion's exp may
	// lie. Assertions are made per request; a long-lived one is a bearer
	// credential that outlives its purpose.
	DefaultAssertionMaxLifetime = time.Hour
)

// keyAssertionJTI prefixes the replay counters: a hash of iss and jti, so
// the key holds nothing the partner sent in clear.
const keyAssertionJTI = "jwtbearer:jti:"

// JWTBearerConfig tunes the JWT bearer grant; the zero value means the
// defaults.
type JWTBearerConfig struct {
	// Skew is how far the partner's clock may be off from keypad's: exp may
	// have passed, and nbf and iat may lie ahead, by this much.
	Skew time.Duration
	// MaxLifetime is how far after now (plus Skew) exp may lie.
	MaxLifetime time.Duration
}

// Validate says what to fix.
func (c JWTBearerConfig) Validate() error {
	if c.Skew < 0 || c.MaxLifetime < 0 {
		return errors.New("jwt-bearer grant: the clock skew and the maximum assertion lifetime must not be negative")
	}
	return nil
}

func (c JWTBearerConfig) withDefaults() JWTBearerConfig {
	if c.Skew == 0 {
		c.Skew = DefaultAssertionSkew
	}
	if c.MaxLifetime == 0 {
		c.MaxLifetime = DefaultAssertionMaxLifetime
	}
	return c
}

// jwtBearerFlow is the JWT bearer assertion grant (RFC 7523 §2.1): a
// partner trusted by an administrator signs a short JWT saying "this is
// subject S" and trades it for an access token for S. The partner is a
// client registered for the grant with its public keys (a JWK Set in
// keypad.ClientOptions); whoever holds the matching private key can act
// for any subject it names, which is why the grant is for trusted partners
// only. No refresh token is issued: the partner signs a new assertion.
type jwtBearerFlow struct {
	s     *Server
	store jwtBearerStore
	cfg   JWTBearerConfig
}

// installJWTBearerGrant serves grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer (Config.JWTBearer) for the
// clients registered with it and with assertion keys.
func (s *Server) installJWTBearerGrant(cfg JWTBearerConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	f := &jwtBearerFlow{s: s, store: s.store, cfg: cfg.withDefaults()}
	s.registerGrant(keypad.GrantJWTBearer, GrantFunc(f.grant))
	return nil
}

// assertion is what a verified assertion says.
type assertion struct {
	iss, sub, jti string
	exp           time.Time
	scope         string
}

// grant checks the assertion (RFC 7523 §3), the scope and the subject,
// consumes the assertion's jti and issues an access token for the
// subject. Every failure of the assertion is invalid_grant naming the
// check that failed (§3.1); the assertion itself is never echoed.
func (f *jwtBearerFlow) grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	s, c := f.s, req.Client
	raw := req.Form.Get("assertion")
	if raw == "" {
		return nil, errNoAssertion
	}
	if len(c.Options.AssertionKeys) == 0 {
		return nil, UnauthorizedClient("this client has no assertion keys registered, so its assertions cannot be checked; an administrator registers them with `keypad client update --assertion-keys`")
	}
	keys, err := keypad.ParseAssertionKeys(c.Options.AssertionKeys)
	if err != nil {
		// Checked at registration; %v, not %w: this is the server's fault,
		// not an invalid_request.
		return nil, fmt.Errorf("jwt-bearer: client %s: stored assertion keys: %v", c.ID, err)
	}
	now := s.now()
	a, fail := f.check(raw, c, keys, now)
	if fail != nil {
		return nil, f.refuse(ctx, req, "", fail)
	}
	// The scope parameter (RFC 7521 §4.1); without it, the scope claim
	// that Google-style clients (golang.org/x/oauth2/jwt) put in the
	// assertion.
	requested := req.Form.Get("scope")
	if !req.Form.Has("scope") {
		requested = a.scope
	}
	scopes, err := checkScopes(keypad.ParseScope(requested), c.Scopes)
	if err != nil {
		s.metrics.Event("jwt_bearer", "scope")
		return nil, err
	}
	// RFC 8707 §2: the resource becomes the token's aud.
	aud, err := s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	sub, err := f.subject(ctx, a.sub)
	if errors.Is(err, errAmbiguousSubject) {
		return nil, f.refuse(ctx, req, "", failed("ambiguous_subject",
			"sub names more than one person (one's subject ID, username or external ID is another's too); send the keypad subject ID"))
	}
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, f.refuse(ctx, req, "", failed("unknown_subject",
			"sub names no keypad subject (looked up as subject ID, username and external ID); create the person first or send their keypad identity"))
	}
	// Last, so an assertion refused for anything else is not used up.
	if first, err := f.consume(ctx, a, now); err != nil {
		return nil, err
	} else if !first {
		return nil, f.refuse(ctx, req, sub.ID, failed("replayed", "assertion already used: its jti was seen before; sign a new assertion with a fresh jti for every request"))
	}
	s.metrics.Event("jwt_bearer", "succeeded")
	s.authzAudit(ctx, req.HTTP, "jwt_bearer.succeeded", c.ID, sub.ID, "iss="+a.iss)
	return s.issue(ctx, keypad.GrantJWTBearer, Issue{Client: c, Subject: sub.ID, Scopes: scopes, Audience: aud})
}

// check verifies the assertion's signature with the client's keys and its
// claims against the client and the clock (RFC 7523 §3, items 1 to 9).
func (f *jwtBearerFlow) check(raw string, c *keypad.Client, keys []keypad.AssertionKey, now time.Time) (*assertion, *assertionFailure) {
	j, fail := parseJWS(raw)
	if fail != nil {
		return nil, fail
	}
	if fail := j.verify(keys); fail != nil {
		return nil, fail
	}
	var a assertion
	var ok bool
	skew := f.cfg.Skew
	if a.iss, ok = stringMember(j.claims, "iss"); !ok || a.iss == "" {
		return nil, failed("iss", "iss is missing: it must be the issuer registered for this client")
	}
	if a.iss != assertionIssuer(c) {
		return nil, failed("iss", "iss is not the issuer registered for this client")
	}
	aud, ok := audienceMember(j.claims, "aud")
	token, issuer := f.s.Endpoint(PathToken), f.s.issuer
	if !ok || !(slices.Contains(aud, token) || slices.Contains(aud, issuer)) {
		return nil, failed("aud", "aud must name this server: its token endpoint %s or its issuer %s", token, issuer)
	}
	exp, present, ok := timeMember(j.claims, "exp")
	switch {
	case !present:
		return nil, failed("exp", "exp is missing: an assertion must say when it expires")
	case !ok:
		return nil, failed("exp", "exp is not a NumericDate (seconds since 1970-01-01 UTC)")
	case !now.Before(exp.Add(skew)):
		return nil, failed("expired", "the assertion expired at %s (server time %s); sign a new one", stamp(exp), stamp(now))
	case exp.After(now.Add(f.cfg.MaxLifetime + skew)):
		return nil, failed("lifetime", "exp is more than %s ahead; keypad takes only short-lived assertions, so sign one that expires sooner", shortDuration(f.cfg.MaxLifetime))
	}
	a.exp = exp
	for _, name := range []string{"nbf", "iat"} {
		t, present, ok := timeMember(j.claims, name)
		switch {
		case !ok:
			return nil, failed(name, "%s is not a NumericDate (seconds since 1970-01-01 UTC)", name)
		case present && t.After(now.Add(skew)):
			return nil, failed(name, "%s is %s, in the future (server time %s); check the partner's clock", name, stamp(t), stamp(now))
		case present && name == "iat" && exp.Sub(t) > f.cfg.MaxLifetime+skew:
			// Bound the whole lifetime, not only what is left of it: an
			// assertion made to last a month must not turn usable in its
			// last hour.
			return nil, failed("lifetime", "the assertion lives from iat to exp for more than %s; keypad takes only short-lived assertions, so sign one that expires sooner", shortDuration(f.cfg.MaxLifetime))
		}
	}
	if a.sub, ok = stringMember(j.claims, "sub"); !ok || a.sub == "" {
		return nil, failed("sub", "sub is missing: name the keypad subject the token is for (subject ID, username or external ID)")
	}
	if a.jti, ok = stringMember(j.claims, "jti"); !ok || a.jti == "" {
		return nil, failed("jti", "jti is missing: every assertion needs a unique jti so that it cannot be replayed")
	}
	if a.scope, ok = stringMember(j.claims, "scope"); !ok {
		return nil, failed("scope_claim", "the scope claim must be a space-separated string")
	}
	return &a, nil
}

// subject finds the person sub names as a subject ID, a username or an
// external ID (the partner may know people by its own customer numbers).
// Each is unique only among its kind, so all three are looked up: a sub
// that names two different people ("12345" as one person's customer number
// and another's username) is refused rather than guessed. nil means
// nobody.
func (f *jwtBearerFlow) subject(ctx context.Context, sub string) (*keypad.Subject, error) {
	st := f.s.store
	var found *keypad.Subject
	for _, get := range []func(context.Context, string) (*keypad.Subject, error){
		st.GetSubject, st.GetSubjectByUsername, st.GetSubjectByExternalID,
	} {
		s, err := get(ctx, sub)
		if errors.Is(err, keypad.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("jwt-bearer: look up subject: %w", err)
		}
		if s.Disabled {
			continue // a disabled person is nobody
		}
		if found != nil && found.ID != s.ID {
			return nil, errAmbiguousSubject
		}
		found = s
	}
	return found, nil
}

// errAmbiguousSubject is subject's answer for a sub that names two people.
var errAmbiguousSubject = errors.New("jwt-bearer: sub names more than one subject")

// consume counts the assertion's jti in a window that lasts until the
// assertion can no longer be accepted anyway (exp + skew); it reports
// whether this was the first use. The count is atomic in the store, so of
// concurrent uses, on any number of instances, exactly one is first.
func (f *jwtBearerFlow) consume(ctx context.Context, a *assertion, now time.Time) (bool, error) {
	// Length-prefixed, so no iss/jti pair can spell another's key.
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s|%s", len(a.iss), a.iss, a.jti))
	n, err := f.store.Hit(ctx, keyAssertionJTI+hex.EncodeToString(sum[:]), a.exp.Add(f.cfg.Skew).Sub(now), now)
	if err != nil {
		return false, fmt.Errorf("jwt-bearer: count jti: %w", err)
	}
	return n == 1, nil
}

// refuse counts and audits a refused assertion and answers invalid_grant.
func (f *jwtBearerFlow) refuse(ctx context.Context, req *TokenRequest, subject string, fail *assertionFailure) error {
	f.s.metrics.Event("jwt_bearer", fail.reason)
	f.s.authzAudit(ctx, req.HTTP, "jwt_bearer.refused", req.Client.ID, subject, "check="+fail.reason)
	return InvalidGrant("%s", fail.msg)
}

// assertionIssuer is the iss a client's assertions must carry.
func assertionIssuer(c *keypad.Client) string {
	if c.Options.AssertionIssuer != "" {
		return c.Options.AssertionIssuer
	}
	return c.ID
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// shortDuration writes d as Go does, without its zero tails: 1h, 10m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var errNoAssertion = InvalidRequest("assertion is missing: send one signed JWT in the assertion parameter (RFC 7523 section 2.1)")

// errAssertionClient answers a jwt-bearer request without client
// authentication whose assertion names no usable client; the same words
// whichever check failed.
var errAssertionClient = InvalidClient("no client authentication was sent, and the assertion's iss is not the ID of a client registered for jwt-bearer with assertion keys: authenticate the client, or register the partner under a client ID equal to its assertion issuer")

// hasClientAuth reports whether a token request carries any client
// credentials: an Authorization header, or client_id, client_secret or a
// client assertion in the body.
func hasClientAuth(r *http.Request, form url.Values) bool {
	return r.Header.Get("Authorization") != "" || form.Has("client_id") || form.Has("client_secret") || hasClientAssertion(form)
}

// assertionClient identifies the client of a jwt-bearer request that
// carries no client credentials, which RFC 7523 §3.1 allows: the
// assertion's (not yet verified) iss is taken as a client ID, and that
// client must be registered for the grant, with keys, and with that iss
// as its assertion issuer. The grant then verifies the assertion with that
// client's keys, so the signature is what authenticates the request. Only
// the token endpoint calls it, and only for this grant type.
func (s *Server) assertionClient(r *http.Request, form url.Values) (*keypad.Client, string, error) {
	raw := form.Get("assertion")
	if raw == "" {
		return nil, "", errNoAssertion
	}
	j, fail := parseJWS(raw)
	if fail != nil {
		s.metrics.Event("jwt_bearer", fail.reason)
		return nil, "", InvalidGrant("%s", fail.msg)
	}
	iss, _ := stringMember(j.claims, "iss")
	if iss == "" {
		return nil, "", errAssertionClient
	}
	c, err := s.client(r.Context(), iss)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, "", errAssertionClient
	}
	if err != nil {
		return nil, "", err
	}
	if !c.AllowsGrant(keypad.GrantJWTBearer) || len(c.Options.AssertionKeys) == 0 || assertionIssuer(c) != iss {
		return nil, "", errAssertionClient
	}
	return c, AuthNone, nil
}
