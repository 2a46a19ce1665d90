package oauth_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/keypadauth/keypad/password"
)

// weakParams are argon2id parameters older than the defaults: a hash made
// under them must be upgraded at the next right password.
var weakParams = password.Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}

// setWeakHash gives username a password hash under weakParams.
func (e *flowEnv) setWeakHash(username, pw string) {
	e.t.Helper()
	ctx := context.Background()
	sub, err := e.st.GetSubjectByUsername(ctx, username)
	must(e.t, err)
	if sub.PasswordHash, err = weakParams.Hash(pw, rand.Reader); err != nil {
		e.t.Fatal(err)
	}
	must(e.t, e.st.UpdateSubject(ctx, sub))
	if !password.NeedsRehash(sub.PasswordHash) {
		e.t.Fatal("the weak hash does not need a rehash; the test would prove nothing")
	}
}

func (e *flowEnv) storedHash(username string) string {
	e.t.Helper()
	sub, err := e.st.GetSubjectByUsername(context.Background(), username)
	must(e.t, err)
	return sub.PasswordHash
}

// TestOnePasswordCheck: the sign-in page (through Actions.CheckPassword)
// and the password grant check a password with the same function, so
// both answer the same and both upgrade an old hash; before, only the
// page did.
func TestOnePasswordCheck(t *testing.T) {
	e := newFlowEnv(t)
	a := e.srv.Actions()
	ctx := context.Background()

	t.Run("OKPage", func(t *testing.T) {
		e.setWeakHash("alice", alicePassword)
		sub, ok, err := a.CheckPassword(ctx, "alice", alicePassword)
		if err != nil || !ok || sub == nil || sub.ID != "sub-alice" {
			t.Fatalf("CheckPassword = %v, %v, %v; want sub-alice, true", sub, ok, err)
		}
		if password.NeedsRehash(e.storedHash("alice")) {
			t.Error("the page's sign-in left the old hash in place")
		}
	})
	t.Run("OKGrant", func(t *testing.T) {
		e.setWeakHash("alice", alicePassword)
		wantOK(t, e.password("legacy", "alice", alicePassword, "api:read"))
		if password.NeedsRehash(e.storedHash("alice")) {
			t.Error("the password grant left the old hash in place")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		e.setWeakHash("alice", alicePassword)
		sub, ok, err := a.CheckPassword(ctx, "alice", "wrong")
		if err != nil || ok || sub == nil || sub.ID != "sub-alice" {
			t.Errorf("CheckPassword(wrong) = %v, %v, %v; want sub-alice, false", sub, ok, err)
		}
		if !password.NeedsRehash(e.storedHash("alice")) {
			t.Error("a wrong password changed the stored hash")
		}
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		sub, ok, err := a.CheckPassword(ctx, "nobody", "x")
		if err != nil || ok || sub != nil {
			t.Errorf("CheckPassword(nobody) = %v, %v, %v; want nil, false", sub, ok, err)
		}
	})
}
