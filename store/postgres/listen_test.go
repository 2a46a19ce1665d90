package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/store/postgres"
)

// report is one call of a WatchChanges callback.
type report struct {
	c   keypad.Change
	err error
}

// TestListenerReconnects kills the listener's connection from the server
// side (pg_terminate_backend, as a failover or an idle-connection reaper
// would) and wants: the loss reported at once as ChangeAll with the error,
// a reconnection reported as ChangeAll (caches are dropped, since
// notifications sent meanwhile are lost), and changes reported again.
func TestListenerReconnects(t *testing.T) {
	dsn := freshSchema(t)
	s := open(t, dsn, true)
	ctx, cancel := context.WithCancel(t.Context())
	reports := make(chan report, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchChanges(ctx, func(c keypad.Change, err error) {
			select {
			case reports <- report{c, err}:
			case <-ctx.Done(): // the test ended; nobody reads any more
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	next := func(what string) report {
		t.Helper()
		select {
		case r := <-reports:
			return r
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: nothing reported within 10s", what)
			return report{}
		}
	}
	if r := next("start"); r.c != keypad.ChangeAll || r.err != nil {
		t.Fatalf("start: got %b, %v; want ChangeAll, no error", r.c, r.err)
	}

	var schema string
	if err := s.DB().QueryRowContext(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := s.DB().QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		postgres.ListenerApplicationName+":"+schema).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listener backends, want 1", killed)
	}
	if r := next("connection lost"); r.c != keypad.ChangeAll || r.err == nil {
		t.Fatalf("after termination: got %b, %v; want ChangeAll with the error", r.c, r.err)
	}
	if r := next("reconnected"); r.c != keypad.ChangeAll || r.err != nil {
		t.Fatalf("after reconnection: got %b, %v; want ChangeAll, no error", r.c, r.err)
	}
	if err := s.CreateClient(t.Context(), &keypad.Client{ID: "tv", Public: true}); err != nil {
		t.Fatal(err)
	}
	if r := next("client created"); r.c != keypad.ChangeClients || r.err != nil {
		t.Fatalf("after a client change: got %b, %v; want ChangeClients", r.c, r.err)
	}
}
