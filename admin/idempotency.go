package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a create
// sent again with the same Idempotency-Key and body gets the first
// answer, not a second resource.
const (
	idempotencyTTL    = 24 * time.Hour
	maxIdempotencyKey = 255
	// replayedHeader marks a replayed answer.
	replayedHeader = "Idempotent-Replayed"
)

// replayHeaders are the headers of an answer that a replay repeats.
var replayHeaders = []string{"Content-Type", "Location", "ETag"}

// idempotent serves a create under the request's Idempotency-Key, if it
// has one. The key is scoped to the calling client and the route, and
// stored hashed with a hash of the body; the answer is kept for 24 hours
// without any client_secret member: a replayed create of a client lacks
// its secret (shown once, never kept), and a caller who lost the first
// answer rotates it.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, caller *oauth.AdminCaller, serve func(http.ResponseWriter)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" && len(r.Header.Values("Idempotency-Key")) == 0 {
		serve(w)
		return
	}
	if len(r.Header.Values("Idempotency-Key")) > 1 || key == "" || len(key) > maxIdempotencyKey ||
		strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		writeProblem(w, invalid("Idempotency-Key", "must be one value of 1 to 255 printable characters without spaces, e.g. a UUID"))
		return
	}
	body, err := readBody(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	now := a.now().UTC()
	rec := &keypad.IdempotencyRecord{
		KeyHash:     hashParts(caller.ClientID, r.Method+" "+r.URL.Path, key),
		RequestHash: hashParts(r.Method+" "+r.URL.Path, string(body)),
		CreatedAt:   now, ExpiresAt: now.Add(idempotencyTTL),
	}
	held, err := a.store.ClaimIdempotencyKey(r.Context(), rec, now)
	switch {
	case errors.Is(err, keypad.ErrConflict):
		a.replay(w, held, rec.RequestHash)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	serve(rw)
	// The claim is settled whatever happened to the caller's connection.
	ctx := context.WithoutCancel(r.Context())
	if rw.status >= 500 {
		if err := a.store.ReleaseIdempotencyKey(ctx, rec.KeyHash); err != nil {
			a.log.ErrorContext(ctx, "admin API: release idempotency key", "err", err)
		}
		return
	}
	hdr := map[string]string{}
	for _, k := range replayHeaders {
		if v := rw.Header().Get(k); v != "" {
			hdr[k] = v
		}
	}
	if err := a.store.CompleteIdempotencyKey(ctx, rec.KeyHash, rw.status, hdr, withoutSecret(rw.body.Bytes())); err != nil {
		a.log.ErrorContext(ctx, "admin API: complete idempotency key", "err", err)
	}
}

// replay answers a request whose key is held: the first answer for the
// same request, 422 for another, 409 while the first is being served.
func (a *API) replay(w http.ResponseWriter, held *keypad.IdempotencyRecord, requestHash []byte) {
	switch {
	case !bytes.Equal(held.RequestHash, requestHash):
		writeProblem(w, problem(http.StatusUnprocessableEntity, "idempotency-mismatch",
			"this Idempotency-Key was sent with another request in the last 24 hours: use a new key for a new request"))
	case held.Status == 0:
		w.Header().Set("Retry-After", "1")
		writeProblem(w, problem(http.StatusConflict, "idempotency-in-flight",
			"the first request with this Idempotency-Key is still being served: retry shortly"))
	default:
		h := w.Header()
		for k, v := range held.Header {
			h.Set(k, v)
		}
		h.Set(replayedHeader, "true")
		w.WriteHeader(held.Status)
		w.Write(held.Body)
	}
}

// withoutSecret is a JSON object answer without its client_secret
// member: a secret is never kept, not even for a replay.
func withoutSecret(body []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	if _, ok := obj["client_secret"]; !ok {
		return body
	}
	delete(obj, "client_secret")
	b, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	return append(b, '\n')
}

// hashParts is SHA-256 of length-prefixed parts, so no two part lists
// collide.
func hashParts(parts ...string) []byte {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		for i := range n {
			n[i] = byte(len(p) >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// recorder passes an answer through and keeps a copy of its status and
// body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rw *recorder) WriteHeader(status int) {
	rw.status = status
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recorder) Write(b []byte) (int, error) {
	rw.body.Write(b)
	return rw.ResponseWriter.Write(b)
}
