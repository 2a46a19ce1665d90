package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func testModifySubject(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		newPhone := keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+15555550199"}
		got, err := s.ModifySubject(t.Context(), "alice", t0, func(sub *keypad.Subject) error {
			sub.Name, sub.Disabled, sub.UpdatedAt = "Heather H.", false, t0.Add(time.Hour)
			sub.SetIdentifiers([]keypad.Identifier{newPhone})
			return nil
		})
		must(t, err)
		stored, err := s.GetSubject(t.Context(), "alice")
		must(t, err)
		mustEqual(t, "stored subject", stored, got)
		mustEqual(t, "name", stored.Name, "Heather H.")
		mustEqual(t, "phone", stored.Phone, "+15555550199")
		found, err := s.FindSubjects(t.Context(), newPhone)
		must(t, err)
		mustEqual(t, "found by the new identifier", subjectIDs(found), []string{"alice"})
		found, err = s.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "found by the dropped identifier", len(found), 0)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ModifySubject(t.Context(), "nobody", t0, func(*keypad.Subject) error { return nil })
		mustBeErrNotFound(t, err)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		must(t, s.CreateSubject(t.Context(), fullSubject("bob")))
		_, err := s.ModifySubject(t.Context(), "bob", t0, func(sub *keypad.Subject) error {
			sub.Username = "user-alice"
			return nil
		})
		mustBeErrConflict(t, err)
		bob, err := s.GetSubject(t.Context(), "bob")
		must(t, err)
		mustEqual(t, "bob after a refused change", bob, fullSubject("bob"))
	})
	t.Run("ErrCallback", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSubject(t.Context(), fullSubject("alice")))
		_, err := s.ModifySubject(t.Context(), "alice", t0, func(sub *keypad.Subject) error {
			sub.Name = "changed"
			return errAbort
		})
		mustBeErr(t, err, errAbort)
		got, err := s.GetSubject(t.Context(), "alice")
		must(t, err)
		mustEqual(t, "alice after a refused change", got, fullSubject("alice"))
	})
	t.Run("DisableEndsWhatTheyHold", testDisableSubject(newStore))
}

// testDisableSubject checks that disabling alice ends her grants, tokens,
// sessions, codes and requests, and leaves bob's alone.
func testDisableSubject(newStore func(*testing.T) keypad.Store) func(*testing.T) {
	return func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		alice := fullSubject("alice")
		alice.Disabled = false
		must(t, s.CreateSubject(ctx, alice))
		earlier := t0.Add(-time.Hour)
		for _, who := range []string{"alice", "bob"} {
			must(t, s.CreateGrant(ctx, &keypad.Grant{ID: "g-" + who, Subject: who, ClientID: "tv", CreatedAt: t0}))
			must(t, s.CreateGrant(ctx, &keypad.Grant{ID: "old-" + who, Subject: who, ClientID: "tv", CreatedAt: t0, RevokedAt: earlier}))
			tok := fullToken("rt-" + who)
			tok.Subject, tok.GrantID, tok.FamilyID = who, "g-"+who, "fam-"+who
			must(t, s.CreateToken(ctx, tok))
			sess := fullSession(who)
			sess.Subject = who
			must(t, s.CreateSession(ctx, sess))
			code := fullAuthCode(who)
			code.Subject = who
			must(t, s.CreateAuthCode(ctx, code))
			otp := fullOTP(who)
			otp.Subject = who
			must(t, s.CreateOTPSession(ctx, otp))
			ciba := fullCIBA(who)
			ciba.Subject = who
			must(t, s.CreateCIBARequest(ctx, ciba))
		}
		now := t0.Add(time.Minute)
		_, err := s.ModifySubject(ctx, "alice", now, func(sub *keypad.Subject) error {
			sub.Disabled = true
			return nil
		})
		must(t, err)

		revokedAt := map[string]time.Time{"alice": now, "bob": {}}
		for who, want := range revokedAt {
			g, err := s.GetGrant(ctx, "g-"+who)
			must(t, err)
			mustEqual(t, who+"'s grant revoked at", g.RevokedAt, want)
			old, err := s.GetGrant(ctx, "old-"+who)
			must(t, err)
			mustEqual(t, who+"'s earlier revoked grant keeps its time", old.RevokedAt, earlier)
			tok, err := s.GetToken(ctx, h("rt-"+who))
			must(t, err)
			mustEqual(t, who+"'s token revoked at", tok.RevokedAt, want)
			_, err = s.ConsumeToken(ctx, h("rt-"+who), now)
			if who == "alice" {
				mustBeErrRevoked(t, err)
			} else {
				must(t, err)
			}
		}
		gone := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, keypad.ErrNotFound) {
				t.Errorf("alice's %s after disabling her: got %v, want ErrNotFound", what, err)
			}
		}
		_, err = s.GetSession(ctx, fullSession("alice").Hash, t0)
		gone("session", err)
		_, err = s.GetAuthCode(ctx, fullAuthCode("alice").Hash)
		gone("auth code", err)
		_, err = s.GetOTPSession(ctx, fullOTP("alice").Hash)
		gone("OTP session", err)
		_, err = s.GetCIBARequest(ctx, fullCIBA("alice").Hash)
		gone("CIBA request", err)
		_, err = s.GetSession(ctx, fullSession("bob").Hash, t0)
		must(t, err)
		_, err = s.GetAuthCode(ctx, fullAuthCode("bob").Hash)
		must(t, err)
		_, err = s.GetOTPSession(ctx, fullOTP("bob").Hash)
		must(t, err)
		_, err = s.GetCIBARequest(ctx, fullCIBA("bob").Hash)
		must(t, err)
	}
}

// errStale is what a racer of raceModifySubject answers when another
// changed the subject first.
var errStale = errors.New("the subject changed since it was read")

// raceModifySubject: racers each change the subject only if it is still
// the version they read (as SCIM's If-Match does); one may win.
func raceModifySubject(t *testing.T, a, b keypad.Store) {
	must(t, a.CreateSubject(t.Context(), fullSubject("alice")))
	read := fullSubject("alice").UpdatedAt
	errs := race(a, b, func(s keypad.Store, i int) error {
		_, err := s.ModifySubject(t.Context(), "alice", t0, func(sub *keypad.Subject) error {
			if !sub.UpdatedAt.Equal(read) {
				return errStale
			}
			sub.Name = fmt.Sprintf("racer %d", i)
			sub.UpdatedAt = read.Add(time.Duration(i+1) * time.Second)
			return nil
		})
		return err
	})
	mustBeOneWinner(t, errs, errStale)
}
