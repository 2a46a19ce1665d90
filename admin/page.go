package admin

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// Page sizes of every list.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page is a list request's window: at most limit items after the key
// after ("" from the start).
type page struct {
	limit int
	after string
}

// list is a page of a list answer: the items, and the cursor of the
// next page when there is one.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// parsePage reads limit and cursor, and refuses any query parameter not
// in extra (a misspelt filter must not list everything).
func parsePage(r *http.Request, extra ...string) (page, error) {
	q := r.URL.Query()
	for k, vs := range q {
		if k != "limit" && k != "cursor" && !slices.Contains(extra, k) {
			return page{}, invalid(k, "is not a parameter of this list")
		}
		if len(vs) > 1 {
			return page{}, invalid(k, "is given more than once")
		}
	}
	p := page{limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return page{}, invalid("limit", fmt.Sprintf("%q is not a number from 1 to %d", v, maxLimit))
		}
		p.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return page{}, invalid("cursor", "is not a cursor of this list: pass next_cursor as it came")
		}
		p.after = string(b)
	}
	return p, nil
}

// cursor is the opaque cursor of the page after key.
func cursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// window cuts a list ordered by key to the page: items after p.after, at
// most p.limit, and the next cursor when more follow.
func window[T, R any](items []T, p page, key func(T) string, view func(T) R) list[R] {
	out := list[R]{Items: []R{}}
	last := ""
	for _, it := range items {
		if key(it) <= p.after {
			continue
		}
		if len(out.Items) == p.limit {
			out.NextCursor = cursor(last)
			break
		}
		out.Items = append(out.Items, view(it))
		last = key(it)
	}
	return out
}

// noQuery refuses query parameters on a list that is not paged.
func noQuery(r *http.Request) error {
	for k := range r.URL.Query() {
		return invalid(k, "is not a parameter of this list: it is answered whole")
	}
	return nil
}
