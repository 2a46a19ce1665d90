package manage

import (
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
)

// Statuses of a signing key, as KeyStatus names them.
const (
	KeyCurrent          = "current"
	KeyRetiredPublished = "retired (published)"
	KeyRetiredExpired   = "retired (expired)"
)

// KeyStatus says what a signing key does at now: it signs (current), or
// it is retired and still published in the JWKS while tokens it signed
// may live (at most config.MaxAccessTTL), or no longer.
func KeyStatus(k *keypad.SigningKey, now time.Time) string {
	switch {
	case k.RetiredAt.IsZero():
		return KeyCurrent
	case now.Sub(k.RetiredAt) >= config.MaxAccessTTL:
		return KeyRetiredExpired
	}
	return KeyRetiredPublished
}
