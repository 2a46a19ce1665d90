package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// Defaults and bounds of SAML2BearerConfig.
const (
	// DefaultSAMLSkew is how far an IdP's clock may be off from keypad's.
	DefaultSAMLSkew = time.Minute
	// MaxSAMLSkew bounds the setting: a larger skew keeps expired
	// assertions alive.
	MaxSAMLSkew = 5 * time.Minute
)

// keySAMLAssertionID prefixes the replay counters: a hash of the IdP's
// entity ID and the assertion ID.
const keySAMLAssertionID = "saml2bearer:id:"

// SAML2BearerConfig tunes the SAML 2.0 bearer grant; the zero value means
// the defaults.
type SAML2BearerConfig struct {
	// Skew is how far the IdP's clock may be off: NotOnOrAfter may have
	// passed, and NotBefore may lie ahead, by this much. 0 means
	// DefaultSAMLSkew; at most MaxSAMLSkew.
	Skew time.Duration
	// AllowSHA1 accepts assertions signed or digested with SHA-1, which
	// keypad refuses by default. For an old IdP on its way out only.
	AllowSHA1 bool
}

// Validate says what to fix.
func (c SAML2BearerConfig) Validate() error {
	if c.Skew < 0 || c.Skew > MaxSAMLSkew {
		return fmt.Errorf("saml2-bearer grant: the clock skew must be from 0s to %s (0s means the default, %s)", shortDuration(MaxSAMLSkew), shortDuration(DefaultSAMLSkew))
	}
	return nil
}

func (c SAML2BearerConfig) withDefaults() SAML2BearerConfig {
	if c.Skew == 0 {
		c.Skew = DefaultSAMLSkew
	}
	return c
}

// samlBearerFlow is the SAML 2.0 bearer assertion grant (RFC 7522 §2.1):
// a client trades an assertion that an identity provider (IdP) it trusts
// signed about a person for an access token for that person. The IdPs are
// registered from their metadata (keypad.IdP); a client lists the IdPs it
// accepts (keypad.ClientOptions.SAMLIdPs). As with jwt-bearer, whoever
// holds the IdP's key speaks for anyone the IdP names.
type samlBearerFlow struct {
	s     *Server
	store samlBearerStore
	cfg   SAML2BearerConfig
}

// installSAML2BearerGrant serves grant_type
// urn:ietf:params:oauth:grant-type:saml2-bearer (Config.SAML2Bearer).
func (s *Server) installSAML2BearerGrant(cfg SAML2BearerConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	f := &samlBearerFlow{s: s, store: s.store, cfg: cfg.withDefaults()}
	s.registerGrant(keypad.GrantSAML2Bearer, GrantFunc(f.grant))
	return nil
}

// samlClaims is what a verified assertion says.
type samlClaims struct {
	id, name string
	// expires is when the assertion can no longer be used: the earlier of
	// Conditions' NotOnOrAfter and the bearer confirmation's.
	expires time.Time
}

// grant checks the assertion (RFC 7522 §3, SAML 2.0 Core §2 and Profiles
// §4.1.4.2), the scope and the person, consumes the assertion's ID and
// issues tokens. Every failure of the assertion is invalid_grant naming
// the check; the assertion is never echoed nor logged.
func (f *samlBearerFlow) grant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	s, c := f.s, req.Client
	raw := req.Form.Get("assertion")
	if raw == "" {
		return nil, errNoSAMLAssertion
	}
	now := s.now()
	env, fail := parseSAMLAssertion(raw)
	if fail != nil {
		return nil, f.refuse(ctx, req, nil, "", "", fail)
	}
	unverifiedID := auditID(env.root.SelectAttrValue("ID", ""))
	idp, err := f.store.GetIdPByEntityID(ctx, env.issuer)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, f.refuse(ctx, req, nil, unverifiedID, "", failed("issuer", "the assertion's Issuer is no identity provider registered in keypad; an administrator registers it with `keypad idp add --metadata`"))
	}
	if err != nil {
		return nil, fmt.Errorf("saml2-bearer: look up idp: %w", err)
	}
	if !slices.Contains(c.Options.SAMLIdPs, idp.ID) {
		return nil, f.refuse(ctx, req, idp, unverifiedID, "", failed("untrusted_idp", "this client does not accept assertions from identity provider %s; an administrator adds it with `keypad client update --saml-idps`", idp.ID))
	}
	validated, fail := verifySAMLSignature(env, idp.Certificates, now, f.cfg.AllowSHA1)
	if fail != nil {
		return nil, f.refuse(ctx, req, idp, unverifiedID, "", fail)
	}
	claims, fail := f.check(validated, idp, now)
	if fail != nil {
		return nil, f.refuse(ctx, req, idp, unverifiedID, "", fail)
	}
	requested := keypad.ParseScope(req.Form.Get("scope"))
	scopes, err := checkScopes(requested, c.Scopes)
	if err != nil {
		f.audit(ctx, req, idp, auditID(claims.id), "", "scope")
		return nil, err
	}
	// offline_access only when asked for, never by default.
	offline := hasScope(requested, "offline_access")
	if !offline {
		scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return sc == "offline_access" })
	}
	aud, err := s.directAudience(req.Form)
	if err != nil {
		return nil, err
	}
	sub, fail, err := f.subject(ctx, idp, claims.name)
	if err != nil {
		return nil, err
	}
	if fail != nil {
		return nil, f.refuse(ctx, req, idp, auditID(claims.id), "", fail)
	}
	// Last, so an assertion refused for anything else is not used up.
	if first, err := f.consume(ctx, idp, claims, now); err != nil {
		return nil, err
	} else if !first {
		return nil, f.refuse(ctx, req, idp, auditID(claims.id), sub.ID, failed("replayed", "assertion already used: its ID was seen before; have the IdP issue a new assertion for every request"))
	}
	is := Issue{Client: c, Subject: sub.ID, Scopes: scopes, Audience: aud}
	// A refresh token only for a client allowed them that asks
	// offline_access; it hangs off a grant the person sees on "my devices".
	if offline && c.AllowsGrant(keypad.GrantRefreshToken) {
		g, err := newGrant(s.rand, "", keypad.GrantSAML2Bearer, sub.ID, c.ID, scopes, now)
		if err != nil {
			return nil, fmt.Errorf("saml2-bearer: %w", err)
		}
		g.LastUsedAt = now
		if err := f.store.CreateGrant(ctx, g); err != nil {
			return nil, fmt.Errorf("saml2-bearer: create grant: %w", err)
		}
		is.Grant, is.Refresh = g, true
	}
	s.metrics.Event("saml2_bearer", "succeeded")
	s.authzAudit(ctx, req.HTTP, "saml2_bearer.succeeded", c.ID, sub.ID, "idp="+idp.ID+" assertion_id="+auditID(claims.id))
	return s.issue(ctx, keypad.GrantSAML2Bearer, is)
}

// check reads the claims from the element the signature covers (and from
// nothing else) and checks them against the IdP, keypad's endpoints and
// the clock.
func (f *samlBearerFlow) check(a *etree.Element, idp *keypad.IdP, now time.Time) (*samlClaims, *assertionFailure) {
	skew := f.cfg.Skew
	token, issuer := f.s.Endpoint(PathToken), f.s.issuer
	if a.Tag != "Assertion" || a.NamespaceURI() != nsSAML {
		return nil, failed("malformed", "the signed element is not a saml:Assertion")
	}
	if v := a.SelectAttrValue("Version", ""); v != "2.0" {
		return nil, failed("malformed", "the assertion's Version is %q; keypad takes SAML 2.0 assertions", v)
	}
	cl := &samlClaims{id: a.SelectAttrValue("ID", "")}
	iss := samlChildren(a, "Issuer")
	if len(iss) != 1 {
		return nil, failed("issuer", "the signed assertion must have exactly one Issuer")
	}
	if name, ok := samlText(iss[0]); !ok || name != idp.EntityID {
		return nil, failed("issuer", "the signed assertion's Issuer is not the IdP's entity ID")
	}
	// Conditions (Core §2.5), which RFC 7522 §3 requires with an
	// AudienceRestriction naming keypad.
	conds := samlChildren(a, "Conditions")
	if len(conds) != 1 {
		return nil, failed("conditions", "the assertion must have one Conditions element with an AudienceRestriction naming this server")
	}
	cond := conds[0]
	if v := cond.SelectAttrValue("NotBefore", ""); v != "" {
		t, err := parseSAMLTime(v)
		if err != nil {
			return nil, failed("conditions", "Conditions NotBefore is not a UTC xs:dateTime")
		}
		if t.After(now.Add(skew)) {
			return nil, failed("not_yet_valid", "the assertion is not valid before %s (server time %s); check the IdP's clock", stamp(t), stamp(now))
		}
	}
	if v := cond.SelectAttrValue("NotOnOrAfter", ""); v != "" {
		t, err := parseSAMLTime(v)
		if err != nil {
			return nil, failed("conditions", "Conditions NotOnOrAfter is not a UTC xs:dateTime")
		}
		if !now.Before(t.Add(skew)) {
			return nil, failed("expired", "the assertion expired at %s (server time %s); get a new one from the IdP", stamp(t), stamp(now))
		}
		cl.expires = t
	}
	restrictions := 0
	for _, c := range cond.ChildElements() {
		switch {
		case c.NamespaceURI() == nsSAML && c.Tag == "AudienceRestriction":
			restrictions++
			ok := false
			for _, au := range samlChildren(c, "Audience") {
				if v, _ := samlText(au); v == token || v == issuer {
					ok = true
				}
			}
			if !ok {
				return nil, failed("audience", "an AudienceRestriction does not name this server: its issuer %s or its token endpoint %s", issuer, token)
			}
		case c.NamespaceURI() == nsSAML && (c.Tag == "OneTimeUse" || c.Tag == "ProxyRestriction"):
			// Every assertion is single-use here; keypad passes none on.
		default:
			return nil, failed("conditions", "the assertion has a condition keypad does not understand (%s), so it cannot be sure it holds (Core section 2.5.1.5)", c.Tag)
		}
	}
	if restrictions == 0 {
		return nil, failed("audience", "the assertion has no AudienceRestriction; it must name this server: its issuer %s or its token endpoint %s", issuer, token)
	}
	// Subject (Core §2.4) with a bearer confirmation for keypad's token
	// endpoint (Profiles §4.1.4.2, RFC 7522 §3 item 4).
	subs := samlChildren(a, "Subject")
	if len(subs) != 1 {
		return nil, failed("subject", "the assertion must have exactly one Subject")
	}
	if len(samlChildren(subs[0], "EncryptedID")) > 0 || len(samlChildren(subs[0], "BaseID")) > 0 {
		return nil, failed("subject", "the Subject must name the person with a plain NameID (not EncryptedID or BaseID)")
	}
	ids := samlChildren(subs[0], "NameID")
	if len(ids) != 1 {
		return nil, failed("name_id", "the Subject must have exactly one NameID, found %d", len(ids))
	}
	nameID, ok := samlText(ids[0])
	if !ok || nameID == "" {
		return nil, failed("name_id", "the NameID must be plain, non-empty text")
	}
	confirmed, fail := confirmBearer(subs[0], token, now, skew)
	if fail != nil {
		return nil, fail
	}
	if cl.expires.IsZero() || confirmed.Before(cl.expires) {
		cl.expires = confirmed
	}
	cl.name = nameID
	if attr, ok := strings.CutPrefix(idp.NameIDMap, keypad.NameIDMapAttributePrefix); ok {
		v, fail := samlAttribute(a, attr)
		if fail != nil {
			return nil, fail
		}
		cl.name = v
	}
	return cl, nil
}

// confirmBearer finds a bearer SubjectConfirmation whose data names the
// token endpoint as Recipient and has not passed its NotOnOrAfter, and
// returns that NotOnOrAfter.
func confirmBearer(subject *etree.Element, token string, now time.Time, skew time.Duration) (time.Time, *assertionFailure) {
	var fail *assertionFailure
	bearers := 0
	for _, sc := range samlChildren(subject, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != samlBearer {
			continue
		}
		bearers++
		data := samlChildren(sc, "SubjectConfirmationData")
		if len(data) != 1 {
			fail = failed("subject_confirmation", "the bearer SubjectConfirmation must have one SubjectConfirmationData with Recipient and NotOnOrAfter")
			continue
		}
		d := data[0]
		if d.SelectAttrValue("Recipient", "") != token {
			fail = failed("recipient", "the bearer SubjectConfirmationData's Recipient must be this server's token endpoint, %s", token)
			continue
		}
		v := d.SelectAttrValue("NotOnOrAfter", "")
		t, err := parseSAMLTime(v)
		if v == "" || err != nil {
			fail = failed("subject_confirmation", "the bearer SubjectConfirmationData must have NotOnOrAfter, a UTC xs:dateTime")
			continue
		}
		if !now.Before(t.Add(skew)) {
			fail = failed("expired", "the bearer confirmation expired at %s (server time %s); get a new assertion from the IdP", stamp(t), stamp(now))
			continue
		}
		if nb := d.SelectAttrValue("NotBefore", ""); nb != "" {
			nbt, err := parseSAMLTime(nb)
			if err != nil || nbt.After(now.Add(skew)) {
				fail = failed("not_yet_valid", "the bearer confirmation is not valid yet (NotBefore %s, server time %s)", nb, stamp(now))
				continue
			}
		}
		return t, nil
	}
	if bearers == 0 {
		return time.Time{}, failed("subject_confirmation", "the Subject has no SubjectConfirmation with Method %s", samlBearer)
	}
	return time.Time{}, fail
}

// samlAttribute returns the one value of the attribute named name in the
// assertion's AttributeStatements.
func samlAttribute(a *etree.Element, name string) (string, *assertionFailure) {
	var values []string
	for _, st := range samlChildren(a, "AttributeStatement") {
		for _, at := range samlChildren(st, "Attribute") {
			if at.SelectAttrValue("Name", "") != name {
				continue
			}
			for _, v := range samlChildren(at, "AttributeValue") {
				s, ok := samlText(v)
				if !ok {
					return "", failed("attribute", "attribute %s must hold plain text values", name)
				}
				values = append(values, s)
			}
		}
	}
	if len(values) != 1 || values[0] == "" {
		return "", failed("attribute", "the IdP maps people by attribute %s, and the assertion must carry exactly one non-empty value of it (found %d)", name, len(values))
	}
	return values[0], nil
}

// subject finds the one person the assertion names, under the IdP's
// mapping. Nobody, or two different people, is an assertionFailure.
func (f *samlBearerFlow) subject(ctx context.Context, idp *keypad.IdP, name string) (*keypad.Subject, *assertionFailure, error) {
	kinds, as := []string{keypad.NameIDMapUsername, keypad.NameIDMapEmail, keypad.NameIDMapExternalID, "id"}, "subject ID, username, email and external ID"
	switch idp.NameIDMap {
	case keypad.NameIDMapUsername, keypad.NameIDMapEmail, keypad.NameIDMapExternalID:
		kinds, as = []string{idp.NameIDMap}, strings.ReplaceAll(idp.NameIDMap, "_id", " ID")
	}
	var found *keypad.Subject
	for _, kind := range kinds {
		subs, err := f.lookup(ctx, kind, name)
		if err != nil {
			return nil, nil, fmt.Errorf("saml2-bearer: look up subject: %w", err)
		}
		for _, s := range subs {
			if s.Disabled {
				continue // a disabled person is nobody
			}
			if found != nil && found.ID != s.ID {
				return nil, failed("ambiguous_subject", "the assertion names more than one keypad person (looked up as %s); the IdP must send an identity that names one person, or an administrator changes the IdP's --map", as), nil
			}
			found = s
		}
	}
	if found == nil {
		return nil, failed("unknown_subject", "the assertion names no keypad person (looked up as %s); create the person first, or check the IdP's --map", as), nil
	}
	return found, nil, nil
}

// lookup finds the people name is as one kind of identity: "id", or a
// NameIDMap constant.
func (f *samlBearerFlow) lookup(ctx context.Context, kind, name string) ([]*keypad.Subject, error) {
	var s *keypad.Subject
	var err error
	switch kind {
	case keypad.NameIDMapEmail:
		email, err := identifier.Email(name)
		if err != nil {
			return nil, nil // not an email address: nobody by email
		}
		return f.store.FindSubjects(ctx, keypad.Identifier{Type: keypad.IdentifierEmail, Value: email})
	case keypad.NameIDMapUsername:
		s, err = f.store.GetSubjectByUsername(ctx, name)
	case keypad.NameIDMapExternalID:
		s, err = f.store.GetSubjectByExternalID(ctx, name)
	default:
		s, err = f.store.GetSubject(ctx, name)
	}
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*keypad.Subject{s}, nil
}

// consume counts the assertion's ID, per IdP, until the assertion can no
// longer be accepted anyway; it reports whether this was the first use.
// The count is atomic in the store, so of concurrent uses, on any number
// of instances, exactly one is first.
func (f *samlBearerFlow) consume(ctx context.Context, idp *keypad.IdP, cl *samlClaims, now time.Time) (bool, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s|%s", len(idp.EntityID), idp.EntityID, cl.id))
	window := cl.expires.Add(f.cfg.Skew).Sub(now)
	n, err := f.store.Hit(ctx, keySAMLAssertionID+hex.EncodeToString(sum[:]), window, now)
	if err != nil {
		return false, fmt.Errorf("saml2-bearer: count assertion id: %w", err)
	}
	return n == 1, nil
}

// refuse counts and audits a refused assertion and answers invalid_grant.
func (f *samlBearerFlow) refuse(ctx context.Context, req *TokenRequest, idp *keypad.IdP, assertionID, subject string, fail *assertionFailure) error {
	f.audit(ctx, req, idp, assertionID, subject, fail.reason)
	return InvalidGrant("%s", fail.msg)
}

// audit counts a refusal and records it: the check, the IdP, the
// assertion's ID; never the assertion.
func (f *samlBearerFlow) audit(ctx context.Context, req *TokenRequest, idp *keypad.IdP, assertionID, subject, reason string) {
	f.s.metrics.Event("saml2_bearer", reason)
	detail := "check=" + reason
	if idp != nil {
		detail += " idp=" + idp.ID
	}
	if assertionID != "" {
		detail += " assertion_id=" + assertionID
	}
	f.s.authzAudit(ctx, req.HTTP, "saml2_bearer.refused", req.Client.ID, subject, detail)
}

// auditID is an assertion ID fit for the audit log: IDs are xs:ID
// (letters, digits, '_', '-', '.'), at most 128 characters; anything else
// is replaced by its hash, so the log holds no attacker-chosen text.
func auditID(id string) string {
	ok := id != "" && len(id) <= 128
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			ok = false
		}
	}
	if ok || id == "" {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

var errNoSAMLAssertion = InvalidRequest("assertion is missing: send one base64url-encoded SAML 2.0 Assertion in the assertion parameter (RFC 7522 section 2.1)")
