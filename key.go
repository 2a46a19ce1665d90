package keypad

import (
	"context"
	"time"
)

// Signing algorithms keypad supports for JWTs. ES256 is the default; RS256
// is there because RFC 9068 §2.1 requires it.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// SigningKey is a JWT signing key pair. The private half is stored sealed
// (encrypted with the server secret), never in clear.
type SigningKey struct {
	ID        string // kid
	Algorithm string // AlgES256 or AlgRS256
	// PrivateSealed is the PKCS#8 private key, encrypted and authenticated
	// with the server secret.
	PrivateSealed []byte
	// Public is the PKIX DER public key.
	Public    []byte
	CreatedAt time.Time
	// RetiredAt is when a rotation replaced the key (zero: current). A
	// retired key signs nothing but stays published until tokens it signed
	// have expired.
	RetiredAt time.Time
}

// KeyStore keeps signing keys.
type KeyStore interface {
	// CreateKey stores a key. Returns ErrConflict if the kid exists.
	CreateKey(ctx context.Context, k *SigningKey) error
	// CreateCurrentKey stores k only if no unretired key of its algorithm
	// exists, atomically across every instance sharing the store, so that
	// instances starting at once on an empty database end with exactly one
	// current key per algorithm. Returns ErrConflict when there is one.
	CreateCurrentKey(ctx context.Context, k *SigningKey) error
	// ListKeys returns every key, newest first.
	ListKeys(ctx context.Context) ([]*SigningKey, error)
	// RetireKey marks a key retired at the given time. Returns ErrNotFound
	// if it does not exist.
	RetireKey(ctx context.Context, id string, at time.Time) error
	// DeleteKey removes a key for good. Returns ErrNotFound if it does not
	// exist.
	DeleteKey(ctx context.Context, id string) error
}
