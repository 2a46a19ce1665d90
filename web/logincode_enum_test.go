package web_test

import (
	"maps"
	"slices"
	"testing"
)

// TestLoginCodeEnumeration drives /login/code, which anyone may use
// without a client secret, with spellings of a customer's identifiers and
// of a stranger's: the channels offered are the same for every spelling
// of one, and so for the other, and the channel IDs in the page are new
// every time.
func TestLoginCodeEnumeration(t *testing.T) {
	e := newCodeEnv(t)
	groups := []struct {
		name, typ string
		spellings []string
	}{
		{"customer address", "", []string{"123 North Main Street Apt 4", "123 N Main St #4 62701", "123 n. main st., apartment 4, Springfield, IL 62701", "123 N Main St #4 62799"}},
		{"stranger address", "", []string{"127 North Main Street Apt 4", "127 N Main St #4 62701", "127 n. main st., apartment 4, Springfield, IL 62701", "127 N Main St #4 62799"}},
		{"customer phone", "phone", []string{"(415) 867-4821", "+1 415.867.4821", "4158674821"}},
		{"stranger phone", "phone", []string{"(415) 867-4829", "+1 415.867.4829", "4158674829"}},
		{"stranger email", "email", []string{"Nobody@Example.org", "nobody@example.org"}},
		{"stranger account", "account", []string{"900-800-700", "900800700", "900 800 700"}},
	}
	seen := map[string]bool{}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			var first []string
			for i, raw := range g.spellings {
				b := e.browser()
				wantRedirect(t, b.identify(raw, g.typ), "/login/code/send")
				got := channels(t, b.get("/login/code/send"))
				labels := slices.Sorted(maps.Keys(got))
				for _, id := range got {
					if seen[id] {
						t.Errorf("channel id %s came back in another lookup", id)
					}
					seen[id] = true
				}
				if i == 0 {
					first = labels
				} else if !slices.Equal(labels, first) {
					t.Errorf("%q offers %v, %q offered %v", raw, labels, g.spellings[0], first)
				}
			}
		})
	}
}
