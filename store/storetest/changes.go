package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// changeWait bounds how long the suite waits for a change to be reported.
// It is a deadline for a condition, not a measurement: the bounds keypad
// promises (docs/scale-out.md) are measured by the cluster harness.
const changeWait = 10 * time.Second

// testChanges pins keypad.ChangeWatcher: every committed write to clients
// or keys made through writer is reported by watcher's WatchChanges (the
// two may be separate processes' stores on one database), and a write
// that fails reports nothing.
func testChanges(t *testing.T, watcher, writer keypad.Store) {
	w, ok := watcher.(keypad.ChangeWatcher)
	if !ok {
		t.Fatalf("%T does not implement keypad.ChangeWatcher", watcher)
	}
	ctx, cancel := context.WithCancel(t.Context())
	changes := make(chan keypad.Change, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.WatchChanges(ctx, func(c keypad.Change, err error) {
			if err != nil {
				t.Errorf("watch changes: %v", err)
			}
			select {
			case changes <- c:
			case <-ctx.Done(): // the test ended; nobody reads any more
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-done })

	next := func(what string) keypad.Change {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(changeWait):
			t.Fatalf("%s: no change reported within %v", what, changeWait)
			return 0
		}
	}
	if got := next("start"); got != keypad.ChangeAll {
		t.Fatalf("first report = %b, want ChangeAll (%b)", got, keypad.ChangeAll)
	}
	// expect makes one write and wants it reported, exactly.
	expect := func(what string, want keypad.Change, write func() error) {
		t.Helper()
		must(t, write())
		if got := next(what); got != want {
			t.Fatalf("%s: reported %b, want %b", what, got, want)
		}
	}
	bg := context.Background()
	c := fullClient("kiosk")
	expect("create client", keypad.ChangeClients, func() error { return writer.CreateClient(bg, c) })
	c.SecretHash = h("rotated")
	expect("update client", keypad.ChangeClients, func() error { return writer.UpdateClient(bg, c) })
	expect("delete client", keypad.ChangeClients, func() error { return writer.DeleteClient(bg, c.ID) })
	k := &keypad.SigningKey{ID: "k1", Algorithm: keypad.AlgES256, PrivateSealed: []byte("sealed"), Public: []byte("pub"), CreatedAt: t0}
	expect("create current key", keypad.ChangeKeys, func() error { return writer.CreateCurrentKey(bg, k) })
	expect("retire key", keypad.ChangeKeys, func() error { return writer.RetireKey(bg, k.ID, t0) })

	// Failed writes report nothing: the next report is the key deletion's
	// alone, with no client bit from the failed updates before it.
	mustBeErr(t, writer.UpdateClient(bg, &keypad.Client{ID: "nobody"}), keypad.ErrNotFound)
	mustBeErr(t, writer.DeleteClient(bg, "nobody"), keypad.ErrNotFound)
	mustBeErr(t, writer.CreateCurrentKey(bg, &keypad.SigningKey{ID: "k1", Algorithm: keypad.AlgES256, CreatedAt: t0}), keypad.ErrConflict)
	expect("delete key", keypad.ChangeKeys, func() error { return writer.DeleteKey(bg, k.ID) })
}
