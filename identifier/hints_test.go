package identifier

import "regexp"

// The shapes every hint has, real or decoy: a client (or an attacker)
// sees nothing else.
var (
	hintPhone     = regexp.MustCompile(`^(\(•••\) •••-\d{4}|\+\d{1,3} •*( •*)?\d{2,4}|•••-\d{0,4})$`)
	hintPhoneNANP = regexp.MustCompile(`^\(•••\) •••-\d{4}$`)
	hintEmail     = regexp.MustCompile(`^[^•@]•••@[^•@.]•••\.[^•@.]+$`)
	channelIDRe   = regexp.MustCompile(`^[a-z2-7]{16}$`)
)
