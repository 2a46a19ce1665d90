package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	scimfilter "github.com/elimity-com/scim/filter"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/store/sqlite"
)

// TestLookups: which filters read the index (and with which normalised
// value), and which scan.
func TestLookups(t *testing.T) {
	phone := lookup{kind: byIdentifier, typ: keypad.IdentifierPhone, value: "+14155550142"}
	email := lookup{kind: byIdentifier, typ: keypad.IdentifierEmail, value: "bjensen@example.com"}
	for _, c := range []struct {
		filter string
		want   []lookup // nil: a scan
	}{
		{`userName eq "bjensen"`, []lookup{{kind: byUserName, value: "bjensen"}}},
		{`externalId eq "701984"`, []lookup{{kind: byExternalID, value: "701984"}}},
		{`id eq "x"`, []lookup{{kind: byID, value: "x"}}},
		{`phoneNumbers.value eq "(415) 555-0142"`, []lookup{phone}},
		{`phoneNumbers[value eq "415.555.0142"]`, []lookup{phone}},
		{`emails eq "BJensen@Example.com"`, []lookup{email}},
		{`emails.value eq "bjensen@example.com" and name.formatted co "Jensen"`, []lookup{email}},
		{`name.formatted co "Jensen" and emails.value eq "bjensen@example.com"`, []lookup{email}},
		{`emails.value eq "bjensen@example.com" or phoneNumbers.value eq "+1 415 555 0142"`, []lookup{email, phone}},
		{`addresses.formatted eq "123 Main Street, Springfield IL 62701"`, []lookup{{kind: byIdentifier, typ: keypad.IdentifierAddress, value: "123 MAIN ST 62701"}}},
		{`urn:keypad:params:scim:schemas:extension:keypad:2.0:User:accountNumbers eq "1002-003 22"`, []lookup{{kind: byIdentifier, typ: keypad.IdentifierAccount, value: "100200322"}}},
		{`emails.value co "example.com"`, nil},
		{`userName sw "b"`, nil},
		{`userName eq "bjensen" or name.formatted co "x"`, nil},
		{`active eq false`, nil},
		{`not (userName eq "bjensen")`, nil},
	} {
		t.Run(c.filter, func(t *testing.T) {
			v, err := scimfilter.NewValidator(c.filter, userSchema(), keypadSchema())
			if err != nil {
				t.Fatal(err)
			}
			_, e := compile(&v, identifier.Normalizer{})
			got, ok := lookups(e, "")
			if ok != (c.want != nil) || !reflect.DeepEqual(got, c.want) {
				t.Errorf("lookups = %v, %v; want %v", got, ok, c.want)
			}
		})
	}
}

// countingStore counts full reads of the people.
type countingStore struct {
	Store
	lists atomic.Int64
}

func (c *countingStore) ListSubjects(ctx context.Context, after string, limit int) ([]*keypad.Subject, error) {
	c.lists.Add(1)
	return c.Store.ListSubjects(ctx, after, limit)
}

// allow is an Authorizer that lets everything through: these tests are
// about the store work, and TestAuthorization (over the real gate) about
// the gate.
type allow struct{}

func (allow) AuthorizeAdmin(http.ResponseWriter, *http.Request, string) (*oauth.AdminCaller, bool) {
	return &oauth.AdminCaller{}, true
}

// TestIndexedFilterDoesNotScan: over a few thousand people, an eq on a
// phone number reads the index and never lists the people; a co reads
// them all, a page at a time.
func TestIndexedFilterDoesNotScan(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const people = 2 * scanPage
	batch := make([]*keypad.Subject, people)
	for i := range batch {
		s := &keypad.Subject{ID: "sub-" + itoa4(i), ExternalID: "ext-" + itoa4(i), Username: "user" + itoa4(i)}
		s.SetIdentifiers([]keypad.Identifier{{Type: keypad.IdentifierPhone, Value: "+1415555" + itoa4(i)}})
		batch[i] = s
	}
	if _, err := st.UpsertSubjects(ctx, batch); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	clk := testclock.New(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	h, err := New(Config{Store: cs, Auth: allow{}, BaseURL: "http://x/scim/v2", Now: clk.Now,
		Rand: testclock.NewRand(1), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	total := func(filter string) float64 {
		t.Helper()
		resp, err := http.Get(ts.URL + "/scim/v2/Users?filter=" + url.QueryEscape(filter))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", filter, resp.StatusCode, err)
		}
		n, _ := body["totalResults"].(float64)
		return n
	}
	if n := total(`phoneNumbers.value eq "(415) 555-0777"`); n != 1 || cs.lists.Load() != 0 {
		t.Errorf("indexed eq: %v found with %d list reads, want 1 with none", n, cs.lists.Load())
	}
	if n := total(`userName eq "user0123" or externalId eq "ext-0456"`); n != 2 || cs.lists.Load() != 0 {
		t.Errorf("indexed or: %v found with %d list reads, want 2 with none", n, cs.lists.Load())
	}
	if n := total(`phoneNumbers.value co "555077"`); n != 10 || cs.lists.Load() != people/scanPage+1 {
		t.Errorf("co: %v found with %d list reads, want 10 with %d", n, cs.lists.Load(), people/scanPage+1)
	}
}

func itoa4(i int) string { return fmt.Sprintf("%04d", i) }
