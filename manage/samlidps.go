package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/keypadauth/keypad"
)

// CheckSAMLIdPs reports a *FieldError unless every identity provider c
// may trade SAML assertions from is registered.
func CheckSAMLIdPs(ctx context.Context, st keypad.IdPStore, c *keypad.Client) error {
	for _, id := range c.Options.SAMLIdPs {
		if _, err := st.GetIdP(ctx, id); errors.Is(err, keypad.ErrNotFound) {
			return fieldErr("saml_idps", "{saml_idps}: no identity provider %q: register it with `keypad idp add --metadata FILE`, see `keypad idp list`", id)
		} else if err != nil {
			return fmt.Errorf("saml_idps: %w", err)
		}
	}
	return nil
}
