package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// testAuditQuery pins keypad.AuditQueryStore: filters, the order, and a
// listing continued page by page across events of the same time.
func testAuditQuery(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	add := func(at time.Time, typ, client, subject string) *keypad.AuditEvent {
		e := &keypad.AuditEvent{Time: at, Type: typ, ClientID: client, Subject: subject, Detail: "d"}
		must(t, s.AddAuditEvent(ctx, e))
		return e
	}
	e1 := add(t0, "token.issued", "kiosk", "p1")
	e2 := add(t0.Add(time.Second), "grant.revoked", "kiosk", "p2")
	e3 := add(t0.Add(time.Second), "token.issued", "tv", "p1")
	e4 := add(t0.Add(2*time.Second), "token.issued", "kiosk", "p1")
	ids := func(es []*keypad.AuditEvent) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		q    keypad.AuditQuery
		want []*keypad.AuditEvent
	}{
		"All":     {keypad.AuditQuery{}, []*keypad.AuditEvent{e4, e3, e2, e1}},
		"Type":    {keypad.AuditQuery{Type: "token.issued"}, []*keypad.AuditEvent{e4, e3, e1}},
		"Client":  {keypad.AuditQuery{ClientID: "kiosk"}, []*keypad.AuditEvent{e4, e2, e1}},
		"Subject": {keypad.AuditQuery{Subject: "p1", ClientID: "kiosk"}, []*keypad.AuditEvent{e4, e1}},
		"Range":   {keypad.AuditQuery{From: t0.Add(time.Second), Until: t0.Add(2 * time.Second)}, []*keypad.AuditEvent{e3, e2}},
		"Before":  {keypad.AuditQuery{Before: e3}, []*keypad.AuditEvent{e2, e1}},
		"Limit":   {keypad.AuditQuery{Limit: 2}, []*keypad.AuditEvent{e4, e3}},
		"None":    {keypad.AuditQuery{Type: "nothing"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := s.QueryAuditEvents(ctx, c.q)
			must(t, err)
			mustEqual(t, "events", ids(got), ids(c.want))
		})
	}
	// Page by page, one at a time, the pages add up to the whole log.
	var paged []*keypad.AuditEvent
	q := keypad.AuditQuery{Limit: 1}
	for range 10 {
		page, err := s.QueryAuditEvents(ctx, q)
		must(t, err)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		q.Before = page[len(page)-1]
	}
	mustEqual(t, "paged events", ids(paged), ids([]*keypad.AuditEvent{e4, e3, e2, e1}))
	got, err := s.QueryAuditEvents(ctx, keypad.AuditQuery{Type: "token.issued", Limit: 1})
	must(t, err)
	mustEqual(t, "event round trip", got[0], e4)
}
