package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// testConditional pins keypad.ConditionalStore: a write succeeds only
// from the version it read, and of racing writers exactly one does.
func testConditional(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("Client", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		c := fullClient("kiosk")
		must(t, s.CreateClient(ctx, c))
		read := c.UpdatedAt
		c.Name = "Kiosk 2"
		c.UpdatedAt = keypad.NextUpdatedAt(read, read) // a clock standing still
		must(t, s.UpdateClientIf(ctx, c, read))
		got, err := s.GetClient(ctx, "kiosk")
		must(t, err)
		mustEqual(t, "client after a conditional update", got, c)
		mustEqual(t, "new version after the old", got.UpdatedAt.After(read), true)

		c.Name = "Kiosk 3"
		mustBeErr(t, s.UpdateClientIf(ctx, c, read), keypad.ErrStale)
		mustBeErr(t, s.DeleteClientIf(ctx, "kiosk", read), keypad.ErrStale)
		got, err = s.GetClient(ctx, "kiosk")
		must(t, err)
		mustEqual(t, "name after a stale update", got.Name, "Kiosk 2")
		mustBeErrNotFound(t, s.UpdateClientIf(ctx, fullClient("nobody"), read))
		mustBeErrNotFound(t, s.DeleteClientIf(ctx, "nobody", read))
		must(t, s.DeleteClientIf(ctx, "kiosk", got.UpdatedAt))
		_, err = s.GetClient(ctx, "kiosk")
		mustBeErrNotFound(t, err)
	})
	t.Run("Subject", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		sub := &keypad.Subject{ID: "s1", Username: "heather", CreatedAt: t0, UpdatedAt: t0,
			Identifiers: []keypad.Identifier{{Type: keypad.IdentifierEmail, Value: "h@example.com"}}}
		must(t, s.CreateSubject(ctx, sub))
		must(t, s.CreateSubject(ctx, &keypad.Subject{ID: "s2", Username: "omar", CreatedAt: t0, UpdatedAt: t0}))
		read := sub.UpdatedAt
		sub.Identifiers = []keypad.Identifier{{Type: keypad.IdentifierEmail, Value: "new@example.com"}}
		sub.UpdatedAt = keypad.NextUpdatedAt(read, read)
		must(t, s.UpdateSubjectIf(ctx, sub, read))
		found, err := s.FindSubjects(ctx, sub.Identifiers[0])
		must(t, err)
		mustEqual(t, "subjects found by the new identifier", len(found), 1)

		mustBeErr(t, s.UpdateSubjectIf(ctx, sub, read), keypad.ErrStale)
		mustBeErr(t, s.DeleteSubjectIf(ctx, "s1", read), keypad.ErrStale)
		taken := *sub
		taken.Username = "omar"
		mustBeErrConflict(t, s.UpdateSubjectIf(ctx, &taken, sub.UpdatedAt))
		mustBeErrNotFound(t, s.DeleteSubjectIf(ctx, "nobody", read))
		must(t, s.DeleteSubjectIf(ctx, "s1", sub.UpdatedAt))
		found, err = s.FindSubjects(ctx, sub.Identifiers[0])
		must(t, err)
		mustEqual(t, "subjects found after the delete", len(found), 0)
	})
	t.Run("Scope", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.PutScope(ctx, &keypad.Scope{Name: "usage:read", Description: "read usage"}))
		first := &keypad.Scope{Name: "usage:read", Description: "read usage"}
		second := &keypad.Scope{Name: "usage:read", Description: "read your usage"}
		must(t, s.PutScopeIf(ctx, second, first))
		mustBeErr(t, s.PutScopeIf(ctx, &keypad.Scope{Name: "usage:read", Description: "stale"}, first), keypad.ErrStale)
		mustBeErr(t, s.DeleteScopeIf(ctx, first), keypad.ErrStale)
		// A change of one translation is a new version too.
		third := &keypad.Scope{Name: "usage:read", Description: "read your usage", Descriptions: keypad.Descriptions{"es": "ver su consumo"}}
		must(t, s.PutScopeIf(ctx, third, second))
		mustBeErr(t, s.PutScopeIf(ctx, &keypad.Scope{Name: "usage:read", Description: "stale"}, second), keypad.ErrStale)
		mustBeErr(t, s.DeleteScopeIf(ctx, second), keypad.ErrStale)
		if got, err := s.GetScope(ctx, "usage:read"); err != nil || got.Descriptions["es"] != "ver su consumo" {
			t.Fatalf("scope after a conditional put: %+v, %v", got, err)
		}
		must(t, s.PutScopeIf(ctx, second, third))
		got, err := s.GetScope(ctx, "usage:read")
		must(t, err)
		mustEqual(t, "description after a stale write", got.Description, "read your usage")
		mustBeErrNotFound(t, s.PutScopeIf(ctx, &keypad.Scope{Name: "nope", Description: "x"}, &keypad.Scope{Name: "nope", Description: "x"}))
		must(t, s.DeleteScopeIf(ctx, second))
		mustBeErrNotFound(t, s.DeleteScopeIf(ctx, second))
	})
	t.Run("Race", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		c := fullClient("kiosk")
		must(t, s.CreateClient(ctx, c))
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				mine := *c
				mine.Name = "writer"
				mine.UpdatedAt = keypad.NextUpdatedAt(c.UpdatedAt, c.UpdatedAt)
				errs[i] = s.UpdateClientIf(ctx, &mine, c.UpdatedAt)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				mustBeErr(t, err, keypad.ErrStale)
			}
		}
		mustEqual(t, "writers that won from one version", won, 1)
	})
}

// testIdempotency pins keypad.IdempotencyStore.
func testIdempotency(t *testing.T, newStore func(*testing.T) keypad.Store) {
	s := newStore(t)
	ctx := t.Context()
	rec := func(key, req string, created time.Time) *keypad.IdempotencyRecord {
		return &keypad.IdempotencyRecord{KeyHash: h(key), RequestHash: h(req), CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)}
	}
	held, err := s.ClaimIdempotencyKey(ctx, rec("k1", "body1", t0), t0)
	must(t, err)
	mustEqual(t, "holder of a fresh key", held, (*keypad.IdempotencyRecord)(nil))

	held, err = s.ClaimIdempotencyKey(ctx, rec("k1", "body2", t0), t0.Add(time.Minute))
	mustBeErrConflict(t, err)
	mustEqual(t, "the holder's request", held.RequestHash, h("body1"))
	mustEqual(t, "the holder's status while in progress", held.Status, 0)

	hdr := map[string]string{"Location": "/admin/v1/clients/c1"}
	must(t, s.CompleteIdempotencyKey(ctx, h("k1"), 201, hdr, []byte(`{"client_id":"c1"}`)))
	held, err = s.ClaimIdempotencyKey(ctx, rec("k1", "body1", t0), t0.Add(time.Hour))
	mustBeErrConflict(t, err)
	want := rec("k1", "body1", t0)
	want.Status, want.Header, want.Body = 201, hdr, []byte(`{"client_id":"c1"}`)
	mustEqual(t, "completed record", held, want)
	mustBeErrNotFound(t, s.CompleteIdempotencyKey(ctx, h("nobody"), 201, nil, nil))

	// Released, the key can be claimed again.
	must(t, s.ReleaseIdempotencyKey(ctx, h("k1")))
	must(t, s.ReleaseIdempotencyKey(ctx, h("k1")))
	_, err = s.ClaimIdempotencyKey(ctx, rec("k1", "body3", t0), t0)
	must(t, err)

	// Expired, it is replaced by the next claim, and purged.
	later := t0.Add(25 * time.Hour)
	held, err = s.ClaimIdempotencyKey(ctx, rec("k1", "body4", later), later)
	must(t, err)
	mustEqual(t, "holder of an expired key", held, (*keypad.IdempotencyRecord)(nil))
	_, err = s.ClaimIdempotencyKey(ctx, rec("k2", "body", t0), t0)
	must(t, err)
	n, err := s.PurgeExpired(ctx, later)
	must(t, err)
	mustEqual(t, "records purged", n, 1)
	_, err = s.ClaimIdempotencyKey(ctx, rec("k2", "other", later), later)
	must(t, err)

	// Racing claims of one key: exactly one wins.
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { _, errs[i] = s.ClaimIdempotencyKey(ctx, rec("race", "body", t0), t0) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			mustBeErrConflict(t, err)
		}
	}
	mustEqual(t, "claims that won", won, 1)
}
