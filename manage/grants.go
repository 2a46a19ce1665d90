package manage

import (
	"context"
	"fmt"
	"time"

	"github.com/keypadauth/keypad"
)

// ActiveGrants are the grants of gs that are not revoked.
func ActiveGrants(gs []*keypad.Grant) []*keypad.Grant {
	var out []*keypad.Grant
	for _, g := range gs {
		if g.RevokedAt.IsZero() {
			out = append(out, g)
		}
	}
	return out
}

// GrantRevoker is what RevokeGrants writes.
type GrantRevoker interface {
	RevokeGrant(ctx context.Context, id string, now time.Time) error
	AddAuditEvent(ctx context.Context, e *keypad.AuditEvent) error
}

// RevokeGrants revokes each grant (and with it every token issued under
// it) at now, as an administrator does, and records a grant.revoked
// audit event naming by, who asked ("admin" for the CLI). It returns the
// IDs revoked, up to the first error.
func RevokeGrants(ctx context.Context, st GrantRevoker, gs []*keypad.Grant, now time.Time, by string) ([]string, error) {
	revoked := []string{}
	for _, g := range gs {
		if err := st.RevokeGrant(ctx, g.ID, now); err != nil {
			return revoked, fmt.Errorf("revoke grant %s: %w", g.ID, err)
		}
		if err := st.AddAuditEvent(ctx, &keypad.AuditEvent{
			Time: now, Type: "grant.revoked", ClientID: g.ClientID, Subject: g.Subject,
			Detail: "grant=" + g.ID + " by=" + by,
		}); err != nil {
			return revoked, fmt.Errorf("record the revocation: %w", err)
		}
		revoked = append(revoked, g.ID)
	}
	return revoked, nil
}

// TokenRevoked records the token.revoked audit event of an operator's
// revocation of one token by its value (never the value): its client and
// kind, the grant that ended with it (a refresh token's), and by, who
// asked.
func TokenRevoked(ctx context.Context, st GrantRevoker, clientID string, kind keypad.TokenKind, grantID string, now time.Time, by string) error {
	detail := "token kind=" + string(kind) + " by=" + by
	if grantID != "" {
		detail += " grant=" + grantID
	}
	if err := st.AddAuditEvent(ctx, &keypad.AuditEvent{Time: now, Type: "token.revoked", ClientID: clientID, Detail: detail}); err != nil {
		return fmt.Errorf("record the revocation: %w", err)
	}
	return nil
}
