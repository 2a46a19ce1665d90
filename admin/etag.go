package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// An ETag is a resource's version: its updated_at in microseconds (the
// stores' precision), which every write moves (keypad.NextUpdatedAt).
// It is strong: the same version is the same representation.
func etag(updated time.Time) string {
	return `"` + strconv.FormatInt(updated.UnixMicro(), 36) + `"`
}

// checkIfMatch answers 412 unless the request's If-Match (when it has
// one) names the version the resource is at (RFC 9110 §13.1.1, strong
// comparison: a weak ETag never matches).
func checkIfMatch(r *http.Request, updated time.Time) error {
	v := r.Header.Get("If-Match")
	if v == "" {
		return nil
	}
	want := etag(updated)
	for tag := range strings.SplitSeq(v, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == want {
			return nil
		}
	}
	return problem(http.StatusPreconditionFailed, "precondition-failed",
		"If-Match names another version than the resource's "+want+": GET it again, and send its new ETag")
}

// writeResource answers one resource with its ETag.
func writeResource(w http.ResponseWriter, status int, updated time.Time, v any) {
	w.Header().Set("ETag", etag(updated))
	writeJSON(w, status, v)
}
