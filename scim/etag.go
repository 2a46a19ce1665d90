package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/keypadauth/keypad"
)

// etag is a person's entity tag (meta.version and the ETag header): a
// hash of everything stored about them but the password hash, UpdatedAt
// included, so any change made through SCIM, the CLI or an import gives
// a new tag. Weak, as RFC 7644 §3.14's examples are: it names the
// resource's state, not the bytes of one representation.
func etag(s *keypad.Subject) string {
	c := *s
	c.PasswordHash = ""
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // a Subject always marshals
	}
	sum := sha256.Sum256(b)
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

// errPrecondition is RFC 7644 §3.14's answer to an If-Match naming
// another version.
var errPrecondition = scimerrors.ScimError{
	Status: http.StatusPreconditionFailed,
	Detail: "the User changed since the ETag sent in If-Match: read it again (GET) and retry with its new ETag",
}

// checkIfMatch compares the request's If-Match with the person's current
// tag. No header, or "*", matches; weak and strong forms of one tag match
// (RFC 7232's weak comparison).
func checkIfMatch(r *http.Request, s *keypad.Subject) error {
	h := r.Header.Get("If-Match")
	if strings.TrimSpace(h) == "" {
		return nil
	}
	have := strings.TrimPrefix(etag(s), "W/")
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == have {
			return nil
		}
	}
	return errPrecondition
}
