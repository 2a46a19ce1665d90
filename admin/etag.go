package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// An ETag is a resource's version. For clients and people it is their
// updated_at in microseconds (the stores' precision), which every write
// moves (keypad.NextUpdatedAt); for a scope, a hash of its description.
// ETags are strong: the same version is the same representation.
func versionTag(updated time.Time) string {
	return `"` + strconv.FormatInt(updated.UnixMicro(), 36) + `"`
}

// contentTag is the ETag of a resource versioned by its content.
func contentTag(content string) string {
	h := sha256.Sum256([]byte(content))
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// checkIfMatch answers 412 unless the request's If-Match (when it has
// one) names want, the version the resource is at (RFC 9110 §13.1.1,
// strong comparison: a weak ETag never matches).
func checkIfMatch(r *http.Request, want string) error {
	v := r.Header.Get("If-Match")
	if v == "" {
		return nil
	}
	for tag := range strings.SplitSeq(v, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == want {
			return nil
		}
	}
	return problem(http.StatusPreconditionFailed, "precondition-failed",
		"If-Match names another version than the resource's "+want+": GET it again, and send its new ETag")
}

// writeResource answers one resource with its ETag.
func writeResource(w http.ResponseWriter, status int, tag string, v any) {
	w.Header().Set("ETag", tag)
	writeJSON(w, status, v)
}
