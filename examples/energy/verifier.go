package energy

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// principal is who a valid token speaks for.
type principal struct {
	subject  string
	clientID string
	scopes   []string
}

func (p *principal) hasScope(s string) bool {
	for _, x := range p.scopes {
		if x == s {
			return true
		}
	}
	return false
}

// tokenError is a token the API refuses: 401 invalid_token with the
// description.
type tokenError struct{ description string }

func (e *tokenError) Error() string { return "invalid token: " + e.description }

func invalidToken(description string) error { return &tokenError{description} }

// verifier turns bearer tokens into principals, talking to keypad over
// HTTP only.
type verifier struct {
	issuer, metaURL        string
	audience               string
	clientID, clientSecret string
	client                 *http.Client
	now                    func() time.Time
	log                    *slog.Logger

	mu          sync.Mutex // guards what follows; held while fetching
	meta        *metadata
	metaTried   time.Time
	metaErr     error
	keys        map[string]publicKey
	keysFetched time.Time
	keysTried   time.Time

	cacheMu sync.Mutex
	cache   map[[32]byte]introspected
}

// verify accepts a JWT access token or an opaque one. Any token that does
// not look like a JWS is asked about at introspection, which is how a
// resource server learns about tokens it cannot read.
func (v *verifier) verify(ctx context.Context, tok string) (*principal, error) {
	if strings.Count(tok, ".") == 2 {
		return v.verifyJWT(ctx, tok)
	}
	return v.introspect(ctx, tok)
}

// isUnavailable reports whether err means keypad could not be asked.
func isUnavailable(err error) bool { return errors.Is(err, errUnavailable) }

// tokenKey is how the introspection cache names a token: by hash, so no
// token sits in memory longer than its request.
func tokenKey(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }
