package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

var (
	mainStreet = keypad.Identifier{Type: keypad.IdentifierAddress, Value: "12 main st, springfield"}
	elmStreet  = keypad.Identifier{Type: keypad.IdentifierAddress, Value: "3 elm st, springfield"}
)

func fullSubject(id string) *keypad.Subject {
	return &keypad.Subject{
		ID:           id,
		ExternalID:   "cust-" + id,
		Username:     "user-" + id,
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
		Name:         "Heather " + id,
		Email:        id + "@example.com",
		Phone:        "+15555550100",
		Identifiers: []keypad.Identifier{
			{Type: keypad.IdentifierEmail, Value: id + "@example.com"},
			{Type: keypad.IdentifierAccount, Value: "acct-" + id},
			mainStreet,
		},
		PreferredLanguage: "es-MX",
		Disabled:          true,
		CreatedAt:         t0,
		UpdatedAt:         t0.Add(time.Minute),
	}
}

func subjectIDs(list []*keypad.Subject) []string {
	return keys(list, func(s *keypad.Subject) string { return s.ID })
}

func testSubjects(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullSubject("alice")
		must(t, s.CreateSubject(t.Context(), want))
		got, err := s.GetSubject(t.Context(), "alice")
		must(t, err)
		mustEqual(t, "subject", got, want)
		got, err = s.GetSubjectByUsername(t.Context(), "user-alice")
		must(t, err)
		mustEqual(t, "subject by username", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Subject{ID: "bare"}
		must(t, s.CreateSubject(t.Context(), want))
		got, err := s.GetSubject(t.Context(), "bare")
		must(t, err)
		mustEqual(t, "subject", got, want)
		empty := &keypad.Subject{ID: "empty", Identifiers: []keypad.Identifier{}}
		must(t, s.CreateSubject(t.Context(), empty))
		got, err = s.GetSubject(t.Context(), "empty")
		must(t, err)
		mustEqual(t, "subject with empty identifiers", got, empty)
	})
	t.Run("OptionalUniqueFields", func(t *testing.T) {
		// Without username and external ID, any number of subjects fit.
		s := newStore(t)
		for _, id := range []string{"a", "b", "c"} {
			must(t, s.CreateSubject(t.Context(), &keypad.Subject{ID: id}))
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		sameID := &keypad.Subject{ID: "alice"}
		sameUsername := &keypad.Subject{ID: "bob", Username: "user-alice"}
		sameExternal := &keypad.Subject{ID: "carol", ExternalID: "cust-alice"}
		for _, sub := range []*keypad.Subject{sameID, sameUsername, sameExternal} {
			mustBeErrConflict(t, s.CreateSubject(t.Context(), sub))
		}
		got, err := s.ListSubjects(t.Context(), "", 0)
		must(t, err)
		mustEqual(t, "subjects after failed creates", subjectIDs(got), []string{"alice"})
		found, err := s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects at main street", subjectIDs(found), []string{"alice"})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetSubject(t.Context(), "nobody")
		mustBeErrNotFound(t, err)
		_, err = s.GetSubjectByUsername(t.Context(), "nobody")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.UpdateSubject(t.Context(), fullSubject("nobody")))
		mustBeErrNotFound(t, s.DeleteSubject(t.Context(), "nobody"))
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		want := fullSubject("alice")
		want.Username = "alice2"
		want.ExternalID = ""
		want.Identifiers = []keypad.Identifier{elmStreet}
		want.UpdatedAt = t0.Add(time.Hour)
		must(t, s.UpdateSubject(t.Context(), want))
		got, err := s.GetSubject(t.Context(), "alice")
		must(t, err)
		mustEqual(t, "subject", got, want)
		_, err = s.GetSubjectByUsername(t.Context(), "user-alice")
		mustBeErrNotFound(t, err)

		found, err := s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects at the old address", subjectIDs(found), []string{})
		found, err = s.FindSubjects(t.Context(), elmStreet)
		must(t, err)
		mustEqual(t, "subjects at the new address", subjectIDs(found), []string{"alice"})
	})
	t.Run("UpdateErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		must(t, s.CreateSubject(t.Context(), fullSubject("bob")))
		taken := fullSubject("bob")
		taken.Username = "user-alice"
		mustBeErrConflict(t, s.UpdateSubject(t.Context(), taken))
		taken = fullSubject("bob")
		taken.ExternalID = "cust-alice"
		taken.Identifiers = nil
		mustBeErrConflict(t, s.UpdateSubject(t.Context(), taken))
		got, err := s.GetSubject(t.Context(), "bob")
		must(t, err)
		mustEqual(t, "bob after failed updates", got, fullSubject("bob"))
		found, err := s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects at main street", subjectIDs(found), []string{"alice", "bob"})
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"s3", "s1", "s5", "s2", "s4"} {
			must(t, s.CreateSubject(t.Context(), &keypad.Subject{ID: id}))
		}
		for _, tc := range []struct {
			after string
			limit int
			want  []string
		}{
			{"", 0, []string{"s1", "s2", "s3", "s4", "s5"}},
			{"", 2, []string{"s1", "s2"}},
			{"s2", 2, []string{"s3", "s4"}},
			{"s4", 2, []string{"s5"}},
			{"s4", 0, []string{"s5"}},
			{"s5", 2, []string{}},
		} {
			got, err := s.ListSubjects(t.Context(), tc.after, tc.limit)
			must(t, err)
			mustEqual(t, fmt.Sprintf("ListSubjects(%q, %d)", tc.after, tc.limit), subjectIDs(got), tc.want)
		}
		got, err := s.ListSubjects(t.Context(), "", 1)
		must(t, err)
		mustEqual(t, "first subject", got, []*keypad.Subject{{ID: "s1"}})
	})
	t.Run("FindSubjects", func(t *testing.T) {
		// Two accounts at one address; the lookup finds both, in ID order.
		s := newStore(t)
		for _, id := range []string{"zoe", "adam", "mia"} {
			sub := fullSubject(id)
			if id == "mia" {
				sub.Identifiers = []keypad.Identifier{elmStreet}
			}
			must(t, s.CreateSubject(t.Context(), sub))
		}
		found, err := s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects at main street", subjectIDs(found), []string{"adam", "zoe"})
		mustEqual(t, "first subject found", found[0], fullSubject("adam"))

		found, err = s.FindSubjects(t.Context(), keypad.Identifier{Type: keypad.IdentifierAccount, Value: "acct-zoe"})
		must(t, err)
		mustEqual(t, "subjects with account acct-zoe", subjectIDs(found), []string{"zoe"})

		// The type is part of the identifier.
		found, err = s.FindSubjects(t.Context(), keypad.Identifier{Type: keypad.IdentifierEmail, Value: mainStreet.Value})
		must(t, err)
		mustEqual(t, "subjects with an email equal to an address", subjectIDs(found), []string{})

		found, err = s.FindSubjects(t.Context(), keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+15555550199"})
		must(t, err)
		mustEqual(t, "subjects with an unknown phone", subjectIDs(found), []string{})
	})
	t.Run("DuplicateIdentifiers", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Subject{ID: "dup", Identifiers: []keypad.Identifier{mainStreet, mainStreet}}
		must(t, s.CreateSubject(t.Context(), want))
		got, err := s.GetSubject(t.Context(), "dup")
		must(t, err)
		mustEqual(t, "subject", got, want)
		found, err := s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "subjects at main street", subjectIDs(found), []string{"dup"})
	})
	t.Run("DeleteRemovesIssued", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, id := range []string{"gone", "kept"} {
			must(t, s.CreateSubject(ctx, fullSubject(id)))
			must(t, s.CreateGrant(ctx, &keypad.Grant{ID: "g-" + id, Subject: id, ClientID: "kiosk", CreatedAt: t0}))
			must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("rt-" + id), Kind: keypad.KindRefresh, Subject: id, GrantID: "g-" + id}))
			must(t, s.CreateSession(ctx, &keypad.Session{Hash: h("ss-" + id), Subject: id}))
			must(t, s.CreateAuthCode(ctx, &keypad.AuthCode{Hash: h("ac-" + id), Subject: id}))
		}
		must(t, s.DeleteSubject(ctx, "gone"))

		_, err := s.GetSubject(ctx, "gone")
		mustBeErrNotFound(t, err)
		found, err := s.FindSubjects(ctx, mainStreet)
		must(t, err)
		mustEqual(t, "subjects at main street", subjectIDs(found), []string{"kept"})
		_, err = s.GetGrant(ctx, "g-gone")
		mustBeErrNotFound(t, err)
		_, err = s.GetToken(ctx, h("rt-gone"))
		mustBeErrNotFound(t, err)
		_, err = s.GetSession(ctx, h("ss-gone"), t0)
		mustBeErrNotFound(t, err)
		_, err = s.ConsumeAuthCode(ctx, h("ac-gone"), t0)
		mustBeErrNotFound(t, err)

		_, err = s.GetGrant(ctx, "g-kept")
		must(t, err)
		_, err = s.GetToken(ctx, h("rt-kept"))
		must(t, err)
		_, err = s.GetSession(ctx, h("ss-kept"), t0)
		must(t, err)
		_, err = s.ConsumeAuthCode(ctx, h("ac-kept"), t0)
		must(t, err)
		// The ID is free again.
		must(t, s.CreateSubject(ctx, fullSubject("gone")))
	})
}

func testGrants(t *testing.T, newStore func(*testing.T) keypad.Store) {
	grant := func(id, subject, client string, created time.Time) *keypad.Grant {
		return &keypad.Grant{ID: id, Subject: subject, ClientID: client, Scopes: []string{"device:abc:control"},
			DeviceName: "Living room thermostat", Flow: keypad.GrantDeviceCode, CreatedAt: created}
	}
	grantIDs := func(list []*keypad.Grant) []string {
		return keys(list, func(g *keypad.Grant) string { return g.ID })
	}
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := grant("g1", "alice", "thermo", t0)
		want.LastUsedAt = t0.Add(time.Minute)
		want.RevokedAt = t0.Add(time.Hour)
		must(t, s.CreateGrant(t.Context(), want))
		got, err := s.GetGrant(t.Context(), "g1")
		must(t, err)
		mustEqual(t, "grant", got, want)

		zero := &keypad.Grant{ID: "g0"}
		must(t, s.CreateGrant(t.Context(), zero))
		got, err = s.GetGrant(t.Context(), "g0")
		must(t, err)
		mustEqual(t, "zero grant", got, zero)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateGrant(t.Context(), grant("g1", "alice", "thermo", t0)))
		mustBeErrConflict(t, s.CreateGrant(t.Context(), grant("g1", "bob", "tv", t0)))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetGrant(t.Context(), "nope")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.RevokeGrant(t.Context(), "nope", t0))
		mustBeErrNotFound(t, s.TouchGrant(t.Context(), "nope", t0))
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateGrant(t.Context(), grant("a-old", "alice", "thermo", t0)))
		must(t, s.CreateGrant(t.Context(), grant("a-new", "alice", "tv", t0.Add(2*time.Hour))))
		must(t, s.CreateGrant(t.Context(), grant("a-mid", "alice", "thermo", t0.Add(time.Hour))))
		must(t, s.CreateGrant(t.Context(), grant("b", "bob", "thermo", t0.Add(3*time.Hour))))
		must(t, s.RevokeGrant(t.Context(), "a-mid", t0.Add(4*time.Hour)))

		got, err := s.ListGrants(t.Context(), "alice", "")
		must(t, err)
		mustEqual(t, "alice's grants", grantIDs(got), []string{"a-new", "a-mid", "a-old"})
		mustEqual(t, "revoked grant's time", got[1].RevokedAt, t0.Add(4*time.Hour))

		got, err = s.ListGrants(t.Context(), "", "thermo")
		must(t, err)
		mustEqual(t, "thermo's grants", grantIDs(got), []string{"b", "a-mid", "a-old"})

		got, err = s.ListGrants(t.Context(), "carol", "")
		must(t, err)
		mustEqual(t, "carol's grants", grantIDs(got), []string{})
	})
	t.Run("Touch", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateGrant(t.Context(), grant("g1", "alice", "thermo", t0)))
		must(t, s.TouchGrant(t.Context(), "g1", t0.Add(time.Hour)))
		got, err := s.GetGrant(t.Context(), "g1")
		must(t, err)
		want := grant("g1", "alice", "thermo", t0)
		want.LastUsedAt = t0.Add(time.Hour)
		mustEqual(t, "grant", got, want)
	})
	t.Run("RevokeRevokesTokens", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		must(t, s.CreateGrant(ctx, grant("g1", "alice", "thermo", t0)))
		must(t, s.CreateGrant(ctx, grant("g2", "alice", "thermo", t0)))
		earlier := t0.Add(time.Minute)
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("at1"), Kind: keypad.KindAccess, GrantID: "g1"}))
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("rt1"), Kind: keypad.KindRefresh, GrantID: "g1"}))
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("old1"), Kind: keypad.KindRefresh, GrantID: "g1", RevokedAt: earlier}))
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("rt2"), Kind: keypad.KindRefresh, GrantID: "g2"}))
		must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("cc"), Kind: keypad.KindAccess}))

		now := t0.Add(time.Hour)
		must(t, s.RevokeGrant(ctx, "g1", now))
		g, err := s.GetGrant(ctx, "g1")
		must(t, err)
		mustEqual(t, "grant revoked at", g.RevokedAt, now)
		for _, tc := range []struct {
			secret string
			want   time.Time
		}{{"at1", now}, {"rt1", now}, {"old1", earlier}, {"rt2", time.Time{}}, {"cc", time.Time{}}} {
			tok, err := s.GetToken(ctx, h(tc.secret))
			must(t, err)
			mustEqual(t, "token "+tc.secret+" revoked at", tok.RevokedAt, tc.want)
		}
		// Revoking again keeps the first time.
		must(t, s.RevokeGrant(ctx, "g1", now.Add(time.Hour)))
		g, err = s.GetGrant(ctx, "g1")
		must(t, err)
		mustEqual(t, "grant revoked at, after a second revocation", g.RevokedAt, now)
	})
}
