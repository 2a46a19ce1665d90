package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"regexp"
	"strings"

	"github.com/keypadauth/keypad"
)

// The type-a-code assurance variant (keypad.CIBAOptions.RequireBindingCode):
// the client shows a binding code of 4 to 8 digits; the text or email
// and the approval page never show it, and Approve counts only with the
// code typed in. A wrong code denies the request at once: one guess per
// request, each request costing the client a message under the OTP
// flow's limits, so guessing is hopeless (1 in 10,000 at 4 digits).

// bindingCode is the binding_message such a client must send.
var bindingCode = regexp.MustCompile(`^[0-9]{4,8}$`)

// ErrCIBABindingCodeMissing answers an approval without the code the
// client shows, for a client that requires it; nothing was changed.
var ErrCIBABindingCodeMissing = errors.New("oauth: type the code the client shows to approve")

// ErrCIBABindingCodeWrong answers an approval whose typed code is not the
// client's: the request is denied (and, in ping mode, the client told).
var ErrCIBABindingCodeWrong = errors.New("oauth: the code typed is not the one the client shows; the request was denied")

// checkBindingCode checks the code typed on the approval page against
// the request's, in constant time. A missing code changes nothing; a
// wrong one denies the request.
func (c *cibaFlow) checkBindingCode(ctx context.Context, r *keypad.CIBARequest, typed, ip string) error {
	typed = strings.Join(strings.Fields(typed), "")
	if typed == "" {
		return ErrCIBABindingCodeMissing
	}
	if subtle.ConstantTimeCompare([]byte(typed), []byte(r.BindingMessage)) == 1 {
		return nil
	}
	if err := c.decide(ctx, r, nil); err != nil {
		return err
	}
	c.record(ctx, "denied", r.ClientID, r.Subject, ip, "wrong binding code")
	return ErrCIBABindingCodeWrong
}
