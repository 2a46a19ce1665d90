package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/usercode"
)

// pendingHash returns the device code hash of the request for userCode.
func pendingHash(t *testing.T, e *env, userCode string) []byte {
	t.Helper()
	canonical, err := usercode.DefaultConfig().Normalize(userCode)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.st.GetDeviceAuthorizationByUserCode(context.Background(), usercode.Hash(testUserCodeKey, canonical))
	if err != nil {
		t.Fatal(err)
	}
	return d.DeviceCodeHash
}

// TestApproveDeviceConcurrent answers one device request from 20 people
// at once through oauth's Actions: exactly one approval wins, the others
// get ErrDeviceNotPending, and the grants the losers created are revoked,
// so the client has exactly one active grant: the one the request names.
func TestApproveDeviceConcurrent(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "read")
	hash := pendingHash(t, e, c.user)
	a := e.srv.Actions()

	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = a.ApproveDevice(context.Background(), hash, fmt.Sprintf("sub-%02d", i))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrDeviceNotPending):
			t.Errorf("approval failed with %v, want ErrDeviceNotPending", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d approvals won, want exactly 1", won)
	}
	d, err := e.st.GetDeviceAuthorization(context.Background(), hash)
	must(t, err)
	grants, err := e.st.ListGrants(context.Background(), "", "tv")
	must(t, err)
	var active []string
	for _, g := range grants {
		if g.RevokedAt.IsZero() {
			active = append(active, g.ID)
		}
	}
	if len(active) != 1 || active[0] != d.GrantID || d.Status != keypad.DeviceApproved {
		t.Errorf("active grants %v, request %s naming %q; want only the request's grant active", active, d.Status, d.GrantID)
	}
}

// TestApproveDeviceErrors: an expired, a denied and an unknown request
// cannot be approved or denied, and leave no grant behind.
func TestApproveDeviceErrors(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	a := e.srv.Actions()
	ctx := context.Background()

	t.Run("ErrExpired", func(t *testing.T) {
		hash := pendingHash(t, e, e.mustDeviceAuth("tv", "", "read").user)
		e.clk.Advance(time.Hour)
		if _, err := a.ApproveDevice(ctx, hash, "alice"); !errors.Is(err, ErrDeviceNotPending) {
			t.Errorf("approve: %v, want ErrDeviceNotPending", err)
		}
		if err := a.DenyDevice(ctx, hash); !errors.Is(err, ErrDeviceNotPending) {
			t.Errorf("deny: %v, want ErrDeviceNotPending", err)
		}
	})
	t.Run("ErrDenied", func(t *testing.T) {
		hash := pendingHash(t, e, e.mustDeviceAuth("tv", "", "read").user)
		must(t, a.DenyDevice(ctx, hash))
		if _, err := a.ApproveDevice(ctx, hash, "alice"); !errors.Is(err, ErrDeviceNotPending) {
			t.Errorf("approve after deny: %v, want ErrDeviceNotPending", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if _, err := a.ApproveDevice(ctx, []byte("no such request"), "alice"); !errors.Is(err, ErrDeviceNotPending) {
			t.Errorf("approve unknown: %v, want ErrDeviceNotPending", err)
		}
	})
	grants, err := e.st.ListGrants(ctx, "alice", "")
	must(t, err)
	if len(grants) != 0 {
		t.Errorf("alice has %d grants, want none", len(grants))
	}
}

// TestRefreshAnchoredAtGrant shows the one refresh lifetime rule for two
// grant types: a device's first refresh token (minted at the poll) and
// the token a refresh rotates it into end at the same instant, the
// grant's creation (the approval) plus the client's RefreshTTL.
func TestRefreshAnchoredAtGrant(t *testing.T) {
	e := newEnv(t)
	dcfg := keyed(DeviceConfig{})
	e.mustRebuild(func(c *Config, _ *Deps) { c.Device, c.Refresh = &dcfg, true })
	e.start()
	c := tv("tv", "read")
	c.RefreshTTL = 2 * time.Hour
	e.mustClient(c)
	codes := e.mustDeviceAuth("tv", "", "read")
	answer(t, e, codes.user, "alice", true)
	approvedAt := e.clk.Now()
	want := approvedAt.Add(2 * time.Hour)

	e.clk.Advance(5 * time.Minute) // the device polls a while later
	r := wantTokens(t, e.poll("tv", codes))
	first := r.body["refresh_token"].(string)
	if got := e.refreshExpiry(t, first); !got.Equal(want) {
		t.Errorf("device refresh token expires %v, want %v: approval + RefreshTTL, not poll + RefreshTTL", got, want)
	}

	e.clk.Advance(90 * time.Minute)
	n := e.post(PathToken, url.Values{"grant_type": {keypad.GrantRefreshToken}, "client_id": {"tv"}, "refresh_token": {first}}, nil)
	n = wantTokens(t, n)
	if got := e.refreshExpiry(t, n.body["refresh_token"].(string)); !got.Equal(want) {
		t.Errorf("rotated refresh token expires %v, want %v: the same anchor as the device's", got, want)
	}
}

// refreshExpiry is the stored expiry of a refresh token.
func (e *env) refreshExpiry(t *testing.T, rt string) time.Time {
	t.Helper()
	rec, err := e.st.GetToken(context.Background(), keypad.TokenKey(rt))
	must(t, err)
	return rec.ExpiresAt
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
