package storetest

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// imported is a subject as an import makes it: no username, no password.
func imported(id, externalID, name string, ids ...keypad.Identifier) *keypad.Subject {
	return &keypad.Subject{ID: id, ExternalID: externalID, Name: name, Identifiers: ids,
		CreatedAt: t0, UpdatedAt: t0}
}

func email(v string) keypad.Identifier {
	return keypad.Identifier{Type: keypad.IdentifierEmail, Value: v}
}

func mustUpsert(t *testing.T, s keypad.Store, subs ...*keypad.Subject) keypad.UpsertResult {
	t.Helper()
	res, err := s.UpsertSubjects(t.Context(), subs)
	must(t, err)
	if len(res.Outcomes) != len(subs) {
		t.Fatalf("got %d outcomes for %d subjects", len(res.Outcomes), len(subs))
	}
	return res
}

// mustOutcomes checks the outcome of every subject and that the counts
// agree with them.
func mustOutcomes(t *testing.T, res keypad.UpsertResult, want ...keypad.UpsertOutcome) {
	t.Helper()
	if want == nil {
		want = []keypad.UpsertOutcome{}
	}
	mustEqual(t, "outcomes", res.Outcomes, want)
	n := map[keypad.UpsertOutcome]int{}
	for _, o := range want {
		n[o]++
	}
	got := [4]int{res.Created, res.Updated, res.Unchanged, len(res.Conflicts)}
	mustEqual(t, "created, updated, unchanged, conflicts",
		got, [4]int{n[keypad.UpsertCreated], n[keypad.UpsertUpdated], n[keypad.UpsertUnchanged], n[keypad.UpsertConflict]})
}

func mustFind(t *testing.T, s keypad.Store, id keypad.Identifier, want ...string) {
	t.Helper()
	found, err := s.FindSubjects(t.Context(), id)
	must(t, err)
	if want == nil {
		want = []string{}
	}
	mustEqual(t, fmt.Sprintf("subjects with %s %q", id.Type, id.Value), subjectIDs(found), want)
}

func mustGetSubject(t *testing.T, s keypad.Store, id string) *keypad.Subject {
	t.Helper()
	got, err := s.GetSubject(t.Context(), id)
	must(t, err)
	return got
}

const (
	created   = keypad.UpsertCreated
	updated   = keypad.UpsertUpdated
	unchanged = keypad.UpsertUnchanged
	conflict  = keypad.UpsertConflict
)

func testUpsertSubjects(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("GetByExternalID", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		must(t, s.CreateSubject(t.Context(), &keypad.Subject{ID: "bare"}))
		got, err := s.GetSubjectByExternalID(t.Context(), "cust-alice")
		must(t, err)
		mustEqual(t, "subject", got, fullSubject("alice"))
		_, err = s.GetSubjectByExternalID(t.Context(), "cust-nobody")
		mustBeErrNotFound(t, err)
		// Subjects without an external ID are not found by an empty one.
		_, err = s.GetSubjectByExternalID(t.Context(), "")
		mustBeErrNotFound(t, err)
	})
	t.Run("Created", func(t *testing.T) {
		s := newStore(t)
		a := imported("a", "C-1", "Ann", email("ann@example.com"), mainStreet)
		b := imported("b", "C-2", "Bob", mainStreet)
		c := imported("c", "C-3", "Cy")
		c.Identifiers = []keypad.Identifier{}
		res := mustUpsert(t, s, a, b, c)
		mustOutcomes(t, res, created, created, created)
		mustEqual(t, "conflicts", res.Conflicts, []keypad.SubjectConflict(nil))
		for _, want := range []*keypad.Subject{a, b, c} {
			mustEqual(t, "subject "+want.ID, mustGetSubject(t, s, want.ID), want)
		}
		mustFind(t, s, mainStreet, "a", "b")
		mustFind(t, s, email("ann@example.com"), "a")
	})
	t.Run("Idempotent", func(t *testing.T) {
		s := newStore(t)
		batch := func(updatedAt time.Time) []*keypad.Subject {
			var subs []*keypad.Subject
			for i := range 5 {
				sub := imported(fmt.Sprintf("s%d", i), fmt.Sprintf("C-%d", i), "", email(fmt.Sprintf("%d@example.com", i)), mainStreet)
				sub.UpdatedAt = updatedAt
				subs = append(subs, sub)
			}
			return subs
		}
		mustOutcomes(t, mustUpsert(t, s, batch(t0)...), created, created, created, created, created)
		later := t0.Add(24 * time.Hour)
		for range 2 {
			mustOutcomes(t, mustUpsert(t, s, batch(later)...), unchanged, unchanged, unchanged, unchanged, unchanged)
		}
		all, err := s.ListSubjects(t.Context(), "", 0)
		must(t, err)
		mustEqual(t, "subjects", subjectIDs(all), []string{"s0", "s1", "s2", "s3", "s4"})
		// Unchanged means unwritten: UpdatedAt stays.
		mustEqual(t, "subjects", all, batch(t0))
		mustFind(t, s, mainStreet, "s0", "s1", "s2", "s3", "s4")
	})
	t.Run("UpdateReplacesIdentifiers", func(t *testing.T) {
		s := newStore(t)
		mustUpsert(t, s, imported("a", "C-1", "Ann", email("ann@example.com"), mainStreet),
			imported("b", "C-2", "Bob", email("bob@example.com")))
		later := t0.Add(time.Hour)
		moved := imported("ignored", "C-1", "Ann Lee", email("ann.lee@example.com"), elmStreet)
		moved.Email, moved.Phone, moved.UpdatedAt, moved.CreatedAt = "ann.lee@example.com", "+15555550100", later, later
		renamed := imported("ignored-too", "C-2", "Bob Roe", email("bob@example.com"))
		renamed.UpdatedAt = later
		res := mustUpsert(t, s, moved, renamed)
		mustOutcomes(t, res, updated, updated)

		// The stored subject keeps its ID and CreatedAt; the rest is the
		// incoming subject's.
		want := *moved
		want.ID, want.CreatedAt = "a", t0
		mustEqual(t, "moved subject", mustGetSubject(t, s, "a"), &want)
		want = *renamed
		want.ID, want.CreatedAt = "b", t0
		mustEqual(t, "renamed subject", mustGetSubject(t, s, "b"), &want)
		_, err := s.GetSubject(t.Context(), "ignored")
		mustBeErrNotFound(t, err)
		mustFind(t, s, mainStreet)
		mustFind(t, s, email("ann@example.com"))
		mustFind(t, s, elmStreet, "a")
		mustFind(t, s, email("ann.lee@example.com"), "a")
		mustFind(t, s, email("bob@example.com"), "b")
	})
	t.Run("KeepsPasswordAndUsername", func(t *testing.T) {
		// Someone created by hand, with a login, then found in an import
		// under their external ID: updated, not duplicated, still able to
		// sign in.
		s := newStore(t)
		hand := fullSubject("hand")
		must(t, s.CreateSubject(t.Context(), hand))
		in := imported("derived", hand.ExternalID, "Heather Lee", email("h@example.com"))
		in.UpdatedAt = t0.Add(time.Hour)
		mustOutcomes(t, mustUpsert(t, s, in), updated)
		got := mustGetSubject(t, s, "hand")
		mustEqual(t, "username", got.Username, hand.Username)
		mustEqual(t, "password hash", got.PasswordHash, hand.PasswordHash)
		mustEqual(t, "name", got.Name, "Heather Lee")
		mustEqual(t, "identifiers", got.Identifiers, in.Identifiers)
		_, err := s.GetSubject(t.Context(), "derived")
		mustBeErrNotFound(t, err)

		// Given ones replace the stored ones.
		in.Username, in.PasswordHash = "heather", "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$bmV3"
		mustOutcomes(t, mustUpsert(t, s, in), updated)
		got = mustGetSubject(t, s, "hand")
		mustEqual(t, "username and password hash", [2]string{got.Username, got.PasswordHash}, [2]string{in.Username, in.PasswordHash})
		_, err = s.GetSubjectByUsername(t.Context(), hand.Username)
		mustBeErrNotFound(t, err)
	})
	t.Run("Conflicts", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		mustUpsert(t, s, imported("b", "C-2", "Bob"))

		takenUsername := imported("n1", "C-10", "Not Alice", email("n1@example.com"))
		takenUsername.Username = "user-alice"
		takenID := imported("alice", "C-11", "Not Alice either", email("n2@example.com"))
		fine := imported("n3", "C-12", "Fine", email("n3@example.com"))
		fine.Username = "dup"
		dup := imported("n4", "C-13", "Second dup", email("n4@example.com"))
		dup.Username = "dup"
		bob := imported("b", "C-2", "Bob Renamed")
		bob.Username = "user-alice"

		res := mustUpsert(t, s, takenUsername, takenID, fine, dup, bob)
		mustOutcomes(t, res, conflict, conflict, created, conflict, conflict)
		mustEqual(t, "conflicts", res.Conflicts, []keypad.SubjectConflict{
			{Index: 0, Field: "username", HolderID: "alice"},
			{Index: 1, Field: "id", HolderID: "alice"},
			{Index: 3, Field: "username", HolderID: "n3"},
			{Index: 4, Field: "username", HolderID: "alice"},
		})
		// Skipped subjects left no trace; the rest went in.
		for _, ext := range []string{"C-10", "C-11", "C-13"} {
			_, err := s.GetSubjectByExternalID(t.Context(), ext)
			mustBeErrNotFound(t, err)
		}
		mustEqual(t, "alice", mustGetSubject(t, s, "alice"), fullSubject("alice"))
		mustEqual(t, "bob", mustGetSubject(t, s, "b"), imported("b", "C-2", "Bob"))
		mustEqual(t, "created in the same batch", mustGetSubject(t, s, "n3"), fine)
		for _, v := range []string{"n1@example.com", "n2@example.com", "n4@example.com"} {
			mustFind(t, s, email(v))
		}
		mustFind(t, s, email("n3@example.com"), "n3")
	})
	t.Run("UsernamesMoveInOrder", func(t *testing.T) {
		// The batch applies in order: a username freed by an earlier
		// subject is free for a later one, never the other way round.
		s := newStore(t)
		a := imported("a", "C-1", "A")
		a.Username = "x"
		b := imported("b", "C-2", "B")
		b.Username = "z"
		mustUpsert(t, s, a, b)

		step := func(sub *keypad.Subject, username string) *keypad.Subject {
			next := *sub
			next.Username = username
			return &next
		}
		newcomer := imported("c", "C-3", "C")
		newcomer.Username = "x"
		res := mustUpsert(t, s,
			step(a, "y"),        // a: x → y
			step(b, "x"),        // b: z → x, which a just freed
			step(a, "z"),        // a: y → z, which b just freed
			step(newcomer, "y"), // y, which a just freed
			step(newcomer, "x"), // x is b's now
		)
		mustOutcomes(t, res, updated, updated, updated, created, conflict)
		mustEqual(t, "conflicts", res.Conflicts, []keypad.SubjectConflict{{Index: 4, Field: "username", HolderID: "b"}})
		for id, want := range map[string]string{"a": "z", "b": "x", "c": "y"} {
			mustEqual(t, "username of "+id, mustGetSubject(t, s, id).Username, want)
		}
	})
	t.Run("SameExternalIDTwice", func(t *testing.T) {
		s := newStore(t)
		first := imported("a", "C-1", "First", email("first@example.com"))
		second := imported("a2", "C-1", "Second", email("second@example.com"))
		second.UpdatedAt = t0.Add(time.Minute)
		res := mustUpsert(t, s, first, second, second)
		mustOutcomes(t, res, created, updated, unchanged)
		want := *second
		want.ID = "a"
		mustEqual(t, "subject", mustGetSubject(t, s, "a"), &want)
		mustFind(t, s, email("first@example.com"))
		mustFind(t, s, email("second@example.com"), "a")
	})
	t.Run("ErrValidation", func(t *testing.T) {
		s := newStore(t)
		good := imported("a", "C-1", "Ann")
		for name, bad := range map[string]*keypad.Subject{
			"NoExternalID": {ID: "b"},
			"NoID":         {ExternalID: "C-2"},
			"Nil":          nil,
		} {
			t.Run(name, func(t *testing.T) {
				_, err := s.UpsertSubjects(t.Context(), []*keypad.Subject{good, bad})
				var ve *keypad.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("got error %v, want a *keypad.ValidationError", err)
				}
				_, err = s.GetSubject(t.Context(), "a")
				mustBeErrNotFound(t, err)
			})
		}
	})
	t.Run("StrayIdentifierRow", func(t *testing.T) {
		// The first attempt inserts identifier rows without ON CONFLICT:
		// a row already there (a database edited by hand) must fail only
		// that attempt, not the import.
		s := newStore(t)
		raw, ok := s.(interface{ DB() *sql.DB })
		if !ok {
			t.Skip("the store gives no raw SQL")
		}
		_, err := raw.DB().ExecContext(t.Context(), `INSERT INTO subject_identifiers (type, value, subject_id)
			VALUES ($1, $2, $3)`, string(keypad.IdentifierEmail), "stray@example.com", "s1")
		must(t, err)
		res := mustUpsert(t, s, imported("s1", "C-1", "Ann", email("stray@example.com"), mainStreet),
			imported("s2", "C-2", "Bob", email("bob@example.com")))
		mustOutcomes(t, res, keypad.UpsertCreated, keypad.UpsertCreated)
		mustFind(t, s, email("stray@example.com"), "s1")
		mustFind(t, s, mainStreet, "s1")
		mustFind(t, s, email("bob@example.com"), "s2")
	})
	t.Run("Empty", func(t *testing.T) {
		res := mustUpsert(t, newStore(t))
		mustOutcomes(t, res)
	})
	t.Run("Large", func(t *testing.T) {
		// More rows than one statement takes parameters: the store splits
		// its statements, not the transaction.
		s := newStore(t)
		var subs []*keypad.Subject
		for i := range 2500 {
			subs = append(subs, imported(fmt.Sprintf("s%05d", i), fmt.Sprintf("C-%05d", i), "",
				email(fmt.Sprintf("%d@example.com", i)), mainStreet))
		}
		res := mustUpsert(t, s, subs...)
		mustEqual(t, "created", res.Created, len(subs))
		for _, sub := range subs[:1000] {
			sub.Identifiers = []keypad.Identifier{elmStreet}
		}
		res = mustUpsert(t, s, subs...)
		mustEqual(t, "updated, unchanged", [2]int{res.Updated, res.Unchanged}, [2]int{1000, 1500})
		found, err := s.FindSubjects(t.Context(), elmStreet)
		must(t, err)
		mustEqual(t, "subjects on elm street", len(found), 1000)
		found, err = s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects on main street", len(found), 1500)
		mustEqual(t, "last subject", mustGetSubject(t, s, "s02499"), subs[2499])
	})
}
