package scim_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// seed creates Users from (userName, email, phone, address, formatted
// name) rows and returns their IDs by userName.
func (e *env) seed(rows ...[5]string) map[string]string {
	e.t.Helper()
	ids := map[string]string{}
	for _, r := range rows {
		u := map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": r[0], "externalId": "ext-" + r[0],
			"name": map[string]any{"formatted": r[4]},
		}
		if r[1] != "" {
			u["emails"] = []any{map[string]any{"value": r[1]}}
		}
		if r[2] != "" {
			u["phoneNumbers"] = []any{map[string]any{"value": r[2]}}
		}
		if r[3] != "" {
			u["addresses"] = []any{map[string]any{"formatted": r[3]}}
		}
		ids[r[0]] = e.do("POST", "/Users", u).must(e.t, http.StatusCreated).str("id")
	}
	return ids
}

// userNames lists the userNames of a list response, in order.
func userNames(r reply) []string {
	var out []string
	res, _ := r.body["Resources"].([]any)
	for _, u := range res {
		n, _ := u.(map[string]any)["userName"].(string)
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestFilters: RFC 7644 §3.4.2.2's operators and examples on the
// attributes keypad keeps, on both databases.
func TestFilters(t *testing.T) {
	onEveryDB(t, func(t *testing.T, e *env) {
		e.seed(
			[5]string{"bjensen", "bjensen@example.com", "(415) 555-0142", "123 Main St, Springfield, IL 62701", "Barbara Jensen"},
			[5]string{"jsmith", "john@example.org", "+1 415 555 0199", "9 Elm St, Springfield, IL 62701", "John O'Malley Smith"},
			[5]string{"Jdoe", "jane@Example.COM", "", "", "Jane Doe"},
		)
		disabled := e.seed([5]string{"gone", "gone@example.com", "", "", "Gone Away"})["gone"]
		e.do("PATCH", "/Users/"+disabled, patchOp("replace", "active", false)).must(t, http.StatusOK)
		for _, c := range []struct {
			filter string
			want   []string
		}{
			{`userName eq "bjensen"`, []string{"bjensen"}},
			{`userName eq "BJENSEN"`, nil}, // keypad's usernames are case-exact
			{`userName sw "J"`, []string{"Jdoe"}},
			{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, []string{"Jdoe"}},
			{`name.formatted co "O'Malley"`, []string{"jsmith"}},
			{`externalId eq "ext-jsmith"`, []string{"jsmith"}},
			{`emails co "example.com"`, []string{"Jdoe", "bjensen", "gone"}},
			{`emails.value co "example.org"`, []string{"jsmith"}},
			{`emails.value eq "BJensen@EXAMPLE.com"`, []string{"bjensen"}},
			{`emails[value sw "jane"]`, []string{"Jdoe"}},
			{`phoneNumbers.value eq "415-555-0142"`, []string{"bjensen"}},
			{`phoneNumbers.value sw "+1415555"`, []string{"bjensen", "jsmith"}},
			{`addresses.formatted eq "9 elm street springfield 62701"`, []string{"jsmith"}},
			{`addresses.formatted co "MAIN"`, []string{"bjensen"}},
			{`active eq false`, []string{"gone"}},
			{`userName eq "bjensen" or userName eq "jsmith"`, []string{"bjensen", "jsmith"}},
			{`emails co "example.com" and active eq true`, []string{"Jdoe", "bjensen"}},
			{`userName sw "j" and (emails co "example.com" or emails.value co "example.org")`, []string{"jsmith"}},
			{`phoneNumbers.value eq "415-555-0142" and name.formatted co "John"`, nil},
		} {
			t.Run(c.filter, func(t *testing.T) {
				r := e.do("GET", "/Users?filter="+urlq(c.filter), nil).must(t, http.StatusOK)
				if got := userNames(r); !slices.Equal(got, c.want) {
					t.Errorf("got %v, want %v", got, c.want)
				}
				if r.body["totalResults"] != float64(len(c.want)) {
					t.Errorf("totalResults %v, want %d", r.body["totalResults"], len(c.want))
				}
			})
		}
	})
}

// TestPagination: startIndex and count page through the Users in a
// stable order, totalResults counting them all (RFC 7644 §3.4.2.4).
func TestPagination(t *testing.T) {
	e := newEnv(t, dbs[0].url(t), nil)
	var rows [][5]string
	for i := range 7 {
		rows = append(rows, [5]string{fmt.Sprintf("user%d", i), "", "", "", fmt.Sprintf("User %d", i)})
	}
	e.seed(rows...)
	var seen []string
	for start := 1; start <= 7; start += 3 {
		r := e.do("GET", fmt.Sprintf("/Users?startIndex=%d&count=3&filter=%s", start, urlq(`userName sw "user"`)), nil).must(t, http.StatusOK)
		if r.body["totalResults"] != 7.0 || r.body["startIndex"] != float64(start) {
			t.Errorf("page at %d: totalResults %v, startIndex %v", start, r.body["totalResults"], r.body["startIndex"])
		}
		res, _ := r.body["Resources"].([]any)
		if want := min(3, 7-start+1); len(res) != want {
			t.Errorf("page at %d holds %d, want %d", start, len(res), want)
		}
		for _, u := range res {
			seen = append(seen, u.(map[string]any)["id"].(string))
		}
	}
	if len(seen) != 7 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 7 {
		t.Errorf("pages held %v, want the 7 Users once each", seen)
	}
	none := e.do("GET", "/Users?count=0", nil).must(t, http.StatusOK)
	if none.body["totalResults"] != 7.0 || len(userNames(none)) != 0 {
		t.Errorf("count=0: %s, want only totalResults", none.raw)
	}
}
