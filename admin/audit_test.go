package admin_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

type eventList struct {
	Items []struct {
		ID       int64     `json:"id"`
		Time     time.Time `json:"time"`
		Type     string    `json:"type"`
		ClientID string    `json:"client_id"`
		Subject  string    `json:"subject"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// TestAudit: the log filtered by time, type, client and person, page by
// page, including the events the admin API's own revocations record.
func TestAudit(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	ctx := t.Context()
	st := e.srv.Store()
	for i := range 6 {
		client := "kiosk"
		if i%2 == 1 {
			client = "tv"
		}
		ev := &keypad.AuditEvent{Time: t0.Add(time.Duration(i) * time.Minute), Type: "otp.sent", ClientID: client, Subject: fmt.Sprintf("p%d", i%3)}
		if err := st.AddAuditEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// One more by the API itself: revoking a grant.
	if err := st.CreateSubject(ctx, &keypad.Subject{ID: "p9", Username: "p9", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(ctx, &keypad.Client{ID: "app", Name: "App", Public: true, GrantTypes: []string{keypad.GrantDeviceCode}, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateGrant(ctx, &keypad.Grant{ID: "gr_1", Subject: "p9", ClientID: "app", Flow: keypad.GrantDeviceCode, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	grants := e.token("grants-admin", oauth.ScopeGrants)
	if r := e.call(grants, "DELETE", "/admin/v1/grants/gr_1", nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}

	tok := e.token("auditor", oauth.ScopeAudit)
	get := func(q string) eventList {
		t.Helper()
		var l eventList
		r := e.call(tok, "GET", "/admin/v1/audit?"+q, nil)
		if r.status != 200 {
			t.Fatalf("audit?%s: %d %s", q, r.status, r.body)
		}
		r.json(t, &l)
		return l
	}
	if l := get("type=grant.revoked"); len(l.Items) != 1 || l.Items[0].Subject != "p9" || l.Items[0].ClientID != "app" {
		t.Errorf("grant.revoked events: %+v", l.Items)
	}
	if l := get("client_id=tv"); len(l.Items) != 3 {
		t.Errorf("tv's events: %d, want 3", len(l.Items))
	}
	if l := get("subject=p0&client_id=kiosk"); len(l.Items) != 1 {
		t.Errorf("p0 at kiosk: %d, want 1 (minute 0; minute 3 was tv)", len(l.Items))
	}
	from, until := url.QueryEscape(t0.Add(time.Minute).Format(time.RFC3339)), url.QueryEscape(t0.Add(3*time.Minute).Format(time.RFC3339))
	if l := get("from=" + from + "&until=" + until); len(l.Items) != 2 || !l.Items[0].Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("minutes 1 and 2: %+v", l.Items)
	}
	// Page by page, newest first, the pages add up to the log.
	var seen []int64
	l := get("limit=3")
	for pages := 0; ; pages++ {
		for _, it := range l.Items {
			seen = append(seen, it.ID)
		}
		if l.NextCursor == "" || pages > 5 {
			break
		}
		l = get("limit=3&cursor=" + l.NextCursor)
	}
	if len(seen) != 7 {
		t.Fatalf("paged through %d events, want 7", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Errorf("events not newest first: %v", seen)
		}
	}
	for _, q := range []string{"from=yesterday", "until=2026-13-01", "cursor=bm9wZQ", "limit=0", "kind=x"} {
		e.call(tok, "GET", "/admin/v1/audit?"+q, nil).problem(t, 400)
	}
}
