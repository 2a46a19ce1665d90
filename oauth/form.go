package oauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
)

// maxFormBytes bounds a POST body: OAuth requests are a few hundred bytes,
// an assertion a few kilobytes.
const maxFormBytes = 64 << 10

// formContentType is the media type of every form keypad reads.
const formContentType = "application/x-www-form-urlencoded"

// parseForm reads the parameters of a POST to an OAuth endpoint, strictly
// (RFC 6749 §3.1, §3.2): the body must be application/x-www-form-urlencoded,
// no larger than 64 KiB, and name each parameter at most once (but for
// the repeatable ones). Parameters
// in the query string are not read: they are not part of the request, and
// secrets must not travel in URLs.
func parseForm(w http.ResponseWriter, r *http.Request, repeatable ...string) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt, err := formContentType, error(nil)
	if ct != formContentType { // the usual header needs no parsing, nor its map of parameters
		mt, _, err = mime.ParseMediaType(ct)
	}
	if ct == "" || err != nil || mt != formContentType {
		if ct == "" {
			ct = "none"
		}
		return nil, InvalidRequest("Content-Type must be application/x-www-form-urlencoded, not %s", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, InvalidRequest("request body too large (limit %d bytes)", maxFormBytes)
		}
		return nil, InvalidRequest("cannot read the request body")
	}
	return parseFormBody(string(body), repeatable...)
}

// parseFormBody decodes a form body, refusing malformed escapes and
// repeated parameters other than the repeatable ones (RFC 8707's
// resource where a request may name several).
func parseFormBody(body string, repeatable ...string) (url.Values, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return nil, InvalidRequest("the request body is not a valid form: %v", err)
	}
	var repeated []string
	for name, vals := range v {
		if len(vals) > 1 && !slices.Contains(repeatable, name) {
			repeated = append(repeated, name)
		}
	}
	if len(repeated) > 0 {
		sort.Strings(repeated)
		return nil, InvalidRequest("parameter '%s' is repeated; send it once", repeated[0])
	}
	return v, nil
}
