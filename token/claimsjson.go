package token

import "github.com/keypadauth/keypad/internal/jsonw"

// claimsAppender is claims that write their own JSON; Sign uses it
// instead of encoding/json when the claims have it.
type claimsAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSON appends c as encoding/json.Marshal would, member for member
// (TestAccessClaimsJSON holds it to that, for every field): it is the
// JSON of every JWT access token keypad signs.
func (c AccessClaims) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = jsonw.StringMember(b, "iss", c.Issuer)
	b = jsonw.StringMember(b, "sub", c.Subject)
	b = jsonw.Member(b, "aud")
	if len(c.Audience) == 1 {
		b = jsonw.String(b, c.Audience[0])
	} else {
		b = jsonw.Strings(b, c.Audience)
	}
	b = jsonw.StringMember(b, "client_id", c.ClientID)
	if c.Scope != "" {
		b = jsonw.StringMember(b, "scope", c.Scope)
	}
	b = jsonw.IntMember(b, "iat", c.IssuedAt)
	b = jsonw.IntMember(b, "exp", c.Expiry)
	b = jsonw.StringMember(b, "jti", c.ID)
	if c.GrantID != "" {
		b = jsonw.StringMember(b, "gid", c.GrantID)
	}
	if c.Cnf != nil {
		b = jsonw.Member(b, "cnf")
		b = append(b, '{')
		b = jsonw.StringMember(b, "jkt", c.Cnf.JKT)
		b = append(b, '}')
	}
	return append(b, '}')
}
