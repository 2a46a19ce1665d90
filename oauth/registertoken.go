package oauth

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// Initial access tokens (RFC 7591 §1.2, §3): the operator's permission to
// register clients while registration is closed. The CLI (`keypad client
// initial-token create`) and the admin endpoint below make them the same
// way, with NewInitialAccessToken.

// PathInitialAccessTokens is the admin endpoint that issues initial
// access tokens, on the admin listener (and the public one with
// admin_public).
const PathInitialAccessTokens = "/admin/v1/initial-access-tokens"

// Bounds of an initial access token.
const (
	DefaultInitialTokenTTL = 24 * time.Hour
	MinInitialTokenTTL     = time.Minute
	MaxInitialTokenTTL     = 366 * 24 * time.Hour
	MaxInitialTokenUses    = 1_000_000
)

// NewInitialAccessToken draws an initial access token (kp_it_ and 256
// random bits) valid for ttl from now for uses registrations (0: any
// number), and returns it with the record to store, which holds only its
// hash. The token exists in clear only in what the caller shows, once.
func NewInitialAccessToken(r io.Reader, now time.Time, ttl time.Duration, uses int, createdBy string) (string, *keypad.InitialAccessToken, error) {
	switch {
	case ttl < MinInitialTokenTTL || ttl > MaxInitialTokenTTL:
		return "", nil, &keypad.ValidationError{Field: "expires", Message: fmt.Sprintf("%s is out of range: an initial access token lives from %s to %s", ttl, MinInitialTokenTTL, MaxInitialTokenTTL)}
	case uses < 0 || uses > MaxInitialTokenUses:
		return "", nil, &keypad.ValidationError{Field: "uses", Message: fmt.Sprintf("%d is out of range: give 1 to %d registrations, or 0 for any number until the token expires", uses, MaxInitialTokenUses)}
	}
	secret, err := token.NewSecret(r, keypad.PrefixInitialAccessToken)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 10)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", nil, fmt.Errorf("draw initial access token id: %w", err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	t := &keypad.InitialAccessToken{
		ID:   "iat_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)),
		Hash: keypad.SecretHash(secret), ExpiresAt: now.Add(ttl), MaxUses: uses, CreatedBy: createdBy, CreatedAt: now,
	}
	return secret, t, nil
}

// InitialAccessTokenJSON is an initial access token as the admin endpoint
// and `keypad client initial-token … --json` show it. Token is set only
// in the answer that created it.
type InitialAccessTokenJSON struct {
	ID        string    `json:"id"`
	Token     string    `json:"token,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	// MaxUses is 0 for any number of registrations.
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// NewInitialAccessTokenJSON shows t (and secret, when just made).
func NewInitialAccessTokenJSON(t *keypad.InitialAccessToken, secret string) InitialAccessTokenJSON {
	return InitialAccessTokenJSON{ID: t.ID, Token: secret, ExpiresAt: t.ExpiresAt.UTC(), MaxUses: t.MaxUses, Uses: t.Uses,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC()}
}

// InitialAccessTokens serves POST PathInitialAccessTokens: an admin
// client with ScopeClients asks for a token with
// {"expires_in": seconds, "uses": n} (both optional: 24 hours, any
// number of uses) and gets it once, 201. Bad input is answered as RFC
// 9457 problem details.
func (s *Server) InitialAccessTokens() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, ok := s.AuthorizeAdmin(w, r, ScopeClients)
		if !ok {
			return
		}
		var req struct {
			ExpiresIn *int64 `json:"expires_in"`
			Uses      int    `json:"uses"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil && err != io.EOF {
			problem(w, http.StatusBadRequest, "send a JSON object with optional expires_in (seconds) and uses (a whole number): "+err.Error())
			return
		}
		ttl := DefaultInitialTokenTTL
		if req.ExpiresIn != nil {
			ttl = time.Duration(min(max(*req.ExpiresIn, -1), int64(MaxInitialTokenTTL/time.Second)+1)) * time.Second
		}
		secret, t, err := NewInitialAccessToken(s.rand, s.now(), ttl, req.Uses, caller.ClientID)
		if err != nil {
			problem(w, http.StatusBadRequest, strings.Replace(err.Error(), "expires:", "expires_in:", 1))
			return
		}
		if err := s.store.CreateInitialAccessToken(r.Context(), t); err != nil {
			s.writeError(w, r, fmt.Errorf("create initial access token: %w", err))
			return
		}
		s.authzAudit(r.Context(), r, "registration.initial_token_created", caller.ClientID, caller.Subject,
			fmt.Sprintf("id=%s uses=%d expires_at=%s", t.ID, t.MaxUses, t.ExpiresAt.Format(time.RFC3339)))
		noStore(w.Header())
		writeJSON(w, http.StatusCreated, NewInitialAccessTokenJSON(t, secret))
	})
}

// problem answers an RFC 9457 problem details document.
func problem(w http.ResponseWriter, status int, detail string) {
	b, _ := json.Marshal(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
	h := w.Header()
	noStore(h)
	h.Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(b)
}
