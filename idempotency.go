package keypad

import (
	"context"
	"time"
)

// IdempotencyRecord is what keypad keeps of a create request sent with
// an Idempotency-Key header, so that the same request sent again gets
// the first answer instead of creating twice. Neither the key nor the
// request is kept in clear: both are SHA-256 hashes.
type IdempotencyRecord struct {
	// KeyHash is SHA-256 of the caller (the admin client), the key and
	// the endpoint: the record's identity.
	KeyHash []byte
	// RequestHash is SHA-256 of the request's method, path and body: the
	// same key with another request is refused.
	RequestHash []byte
	// Status is the answer's HTTP status, 0 while the first request is
	// still being served.
	Status int
	// Header holds the answer's headers worth replaying (Content-Type,
	// Location, ETag).
	Header map[string]string
	// Body is the answer's body. A client secret is never in it (the
	// admin API removes it before the record is kept).
	Body      []byte
	CreatedAt time.Time
	// ExpiresAt ends the record; PurgeExpired deletes it after.
	ExpiresAt time.Time
}

// IdempotencyStore keeps the admin API's idempotency keys.
type IdempotencyStore interface {
	// ClaimIdempotencyKey stores r (Status 0: in progress) unless a
	// record with r.KeyHash exists that expires after now; then it
	// returns that record with ErrConflict and writes nothing. Of racing
	// claims of one key exactly one succeeds.
	ClaimIdempotencyKey(ctx context.Context, r *IdempotencyRecord, now time.Time) (*IdempotencyRecord, error)
	// CompleteIdempotencyKey records the answer of a claimed key: status,
	// header and body. Returns ErrNotFound if the claim is gone.
	CompleteIdempotencyKey(ctx context.Context, keyHash []byte, status int, header map[string]string, body []byte) error
	// ReleaseIdempotencyKey deletes a claim whose request ended without
	// an answer worth replaying (a server error), so that a retry runs
	// again. Deleting a missing key is not an error.
	ReleaseIdempotencyKey(ctx context.Context, keyHash []byte) error
}
