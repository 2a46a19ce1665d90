package oauth

import (
	"crypto/subtle"
	"errors"
	"regexp"
	"strings"
)

// The type-a-code assurance variant (keypad.CIBAOptions.RequireBindingCode):
// the client shows a binding code of 4 to 8 digits; the text or email
// and the approval page never show it, and Approve counts only with the
// code typed in. A wrong code denies the request at once: one guess per
// request, even when tries race (the comparison happens inside the
// request's conditional update, see cibaFlow.decide), each request
// costing the client a message under the OTP flow's limits, so guessing
// is hopeless (1 in 10,000 at 4 digits).

// bindingCode is the binding_message such a client must send.
var bindingCode = regexp.MustCompile(`^[0-9]{4,8}$`)

// ErrCIBABindingCodeMissing answers an approval without the code the
// client shows, for a client that requires it; nothing was changed.
var ErrCIBABindingCodeMissing = errors.New("oauth: type the code the client shows to approve")

// ErrCIBABindingCodeWrong answers an approval whose typed code is not the
// client's: the request is denied (and, in ping mode, the client told).
var ErrCIBABindingCodeWrong = errors.New("oauth: the code typed is not the one the client shows; the request was denied")

// typedCode is the code as typed, without spaces.
func typedCode(s string) string { return strings.Join(strings.Fields(s), "") }

// bindingCodeMatches compares a typed code with the request's, in
// constant time.
func bindingCodeMatches(typed, code string) bool {
	return subtle.ConstantTimeCompare([]byte(typed), []byte(code)) == 1
}
