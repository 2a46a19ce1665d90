package scim_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestIfMatch: the current ETag (weak or strong form, or *) lets an
// update through and changes the tag; an old one is 412 for PUT, PATCH
// and DELETE (RFC 7644 §3.14).
func TestIfMatch(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	c := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated)
	path, v1 := "/Users/"+c.str("id"), c.header.Get("ETag")
	v2 := e.do("PATCH", path, patchOp("replace", "preferredLanguage", "de"), "If-Match", v1).must(t, http.StatusOK).header.Get("ETag")
	if v2 == v1 || v2 == "" {
		t.Fatalf("ETag %q after a change, was %q", v2, v1)
	}
	e.do("PATCH", path, patchOp("replace", "preferredLanguage", "fr"), "If-Match", v1).mustError(t, http.StatusPreconditionFailed, "")
	e.do("PUT", path, bjensen(), "If-Match", v1).mustError(t, http.StatusPreconditionFailed, "")
	e.do("DELETE", path, nil, "If-Match", v1).mustError(t, http.StatusPreconditionFailed, "")
	strong := v2[2:] // without W/
	e.do("PUT", path, bjensen(), "If-Match", strong).must(t, http.StatusOK)
	e.do("PATCH", path, patchOp("replace", "preferredLanguage", "it"), "If-Match", "*").must(t, http.StatusOK)
	if got := e.do("GET", path, nil).str("preferredLanguage"); got != "it" {
		t.Errorf("preferredLanguage %q, want it", got)
	}
}

// TestIfMatchRace: N clients PUT the same User at once, each with the
// ETag they read: exactly one wins, the others get 412, and the stored
// User is the winner's. On both databases.
func TestIfMatchRace(t *testing.T) {
	const n = 16
	onEveryDB(t, func(t *testing.T, e *env) {
		c := e.do("POST", "/Users", bjensen()).must(t, http.StatusCreated)
		path, tag := "/Users/"+c.str("id"), c.header.Get("ETag")
		start := make(chan struct{})
		status := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				u := bjensen()
				u["name"] = map[string]any{"formatted": fmt.Sprintf("Racer %d", i)}
				<-start
				status[i] = e.do("PUT", path, u, "If-Match", tag).status
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, s := range status {
			switch {
			case s == http.StatusOK && winner < 0:
				winner = i
			case s == http.StatusOK:
				t.Errorf("racers %d and %d both won", winner, i)
			case s != http.StatusPreconditionFailed:
				t.Errorf("racer %d: %d, want 200 or 412", i, s)
			}
		}
		if winner < 0 {
			t.Fatalf("nobody won: %v", status)
		}
		if got := e.do("GET", path, nil).str("name.formatted"); got != fmt.Sprintf("Racer %d", winner) {
			t.Errorf("stored name %q, want racer %d's", got, winner)
		}
	})
}
