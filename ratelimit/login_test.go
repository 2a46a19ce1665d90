package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
)

// failLogin charges one attempt and records it as a wrong password.
func failLogin(t *testing.T, l *ratelimit.Limiter, a ratelimit.LoginAttempt) *ratelimit.LoginCharge {
	t.Helper()
	c, err := l.ChargeLogin(context.Background(), a)
	if err != nil {
		t.Fatalf("attempt %+v: got %v, want allowed", a, err)
	}
	if err := c.Failed(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func loginErr(l *ratelimit.Limiter, a ratelimit.LoginAttempt) error {
	_, err := l.ChargeLogin(context.Background(), a)
	return err
}

func TestLoginPerUser(t *testing.T) {
	ctx := context.Background()
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	for i := range 10 {
		// Each guess from another address: only the user limit applies.
		ch := failLogin(t, l, ratelimit.LoginAttempt{Username: "Alice", IP: ipv4(i)})
		if want := i == 9; ch.Final() != want {
			t.Fatalf("attempt %d: final = %v, want %v", i+1, ch.Final(), want)
		}
	}
	wantCount(t, st, ratelimit.LoginCounter("ALICE"), c.Now(), 10)
	wantLimited(t, loginErr(l, ratelimit.LoginAttempt{Username: "alice ", IP: ipv4(50)}), ratelimit.ScopeUser, 15*time.Minute)
	// A refusal takes its charges back: the address is not charged.
	wantCount(t, st, ratelimit.LoginIPCounter(ipv4(50)), c.Now(), 0)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "bob", IP: ipv4(50)}); err != nil {
		t.Fatalf("another user: got %v, want allowed", err)
	}
	c.Advance(15 * time.Minute)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "alice", IP: ipv4(51)}); err != nil {
		t.Fatalf("after the window: got %v, want allowed", err)
	}

	t.Run("SuccessRefundsOnlyItself", func(t *testing.T) {
		a := ratelimit.LoginAttempt{Username: "carol", IP: ipv4(60)}
		for range 3 {
			failLogin(t, l, a)
		}
		ch, err := l.ChargeLogin(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Succeeded(ctx); err != nil {
			t.Fatal(err)
		}
		wantCount(t, st, ratelimit.LoginCounter("carol"), c.Now(), 3)
		wantCount(t, st, ratelimit.LoginIPCounter(ipv4(60)), c.Now(), 3)
	})
}

// TestLoginSprayPerIP: one address guessing one password for each of
// many usernames stops at the per-IP limit, though no username is near
// its own lock.
func TestLoginSprayPerIP(t *testing.T) {
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	const ip = "203.0.113.9"
	for i := range 30 {
		failLogin(t, l, ratelimit.LoginAttempt{Username: fmt.Sprint("user", i), IP: ip})
	}
	err := loginErr(l, ratelimit.LoginAttempt{Username: "user30", IP: ip})
	wantLimited(t, err, ratelimit.ScopeIP, time.Hour)
	// The refused attempt cost user30 nothing.
	wantCount(t, st, ratelimit.LoginCounter("user30"), c.Now(), 0)
	// Another address is not affected.
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "user30", IP: "203.0.113.10"}); err != nil {
		t.Fatalf("another address: got %v, want allowed", err)
	}
	c.Advance(time.Hour)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "user31", IP: ip}); err != nil {
		t.Fatalf("after the window: got %v, want allowed", err)
	}
}

// TestLoginSprayIPv6: the addresses of one /64 share one allowance, so a
// subscriber cannot step through their 2^64 addresses; the next /64 is
// someone else.
func TestLoginSprayIPv6(t *testing.T) {
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	for i := range 30 {
		failLogin(t, l, ratelimit.LoginAttempt{Username: fmt.Sprint("user", i), IP: fmt.Sprintf("2001:db8:1:2::%x", i+1)})
	}
	err := loginErr(l, ratelimit.LoginAttempt{Username: "user30", IP: "2001:db8:1:2:ffff:ffff:ffff:ffff"})
	wantLimited(t, err, ratelimit.ScopeIP, time.Hour)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "user30", IP: "2001:db8:1:3::1"}); err != nil {
		t.Fatalf("the next /64: got %v, want allowed", err)
	}
}

// TestLoginGlobalGuard: failures from everyone together trip the guard,
// which refuses every sign-in without a device cookie for the cool-down;
// a device cookie still gets in.
func TestLoginGlobalGuard(t *testing.T) {
	st, c := mustStore(t), newClock()
	cfg := ratelimit.DefaultConfig()
	cfg.LoginGlobal = ratelimit.Limit{Max: 20, Window: time.Minute}
	l := mustLimiter(t, st, cfg, c)
	for i := range 19 {
		failLogin(t, l, ratelimit.LoginAttempt{Username: fmt.Sprint("user", i), IP: ipv4(i)})
	}
	if tripped, err := l.LoginGuardTripped(context.Background()); err != nil || tripped {
		t.Fatalf("guard tripped = %v, %v below the limit", tripped, err)
	}
	failLogin(t, l, ratelimit.LoginAttempt{Username: "user19", IP: ipv4(19)})
	wantCount(t, st, ratelimit.LoginGuardCounter, c.Now(), 1)
	wantLimited(t, loginErr(l, ratelimit.LoginAttempt{Username: "innocent", IP: "198.51.100.7"}), ratelimit.ScopeGlobal, 2*time.Minute)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "innocent", IP: "198.51.100.7", Device: "dev-1"}); err != nil {
		t.Fatalf("with a device cookie during the guard: got %v, want allowed", err)
	}
	c.Advance(2 * time.Minute)
	if err := loginErr(l, ratelimit.LoginAttempt{Username: "innocent", IP: "198.51.100.7"}); err != nil {
		t.Fatalf("after the cool-down: got %v, want allowed", err)
	}
}

// TestLoginDevice: an attacker who locks a username does not lock out the
// browser holding that username's device cookie; the device has its own
// allowance, which a thief of the cookie cannot exceed.
func TestLoginDevice(t *testing.T) {
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	for i := range 10 {
		failLogin(t, l, ratelimit.LoginAttempt{Username: "alice", IP: ipv4(i)})
	}
	wantLimited(t, loginErr(l, ratelimit.LoginAttempt{Username: "alice", IP: "198.51.100.7"}), ratelimit.ScopeUser, 15*time.Minute)
	dev := ratelimit.LoginAttempt{Username: "alice", IP: "198.51.100.7", Device: "dev-alice"}
	for i := range 10 {
		ch := failLogin(t, l, dev)
		if want := i == 9; ch.Final() != want {
			t.Fatalf("device attempt %d: final = %v, want %v", i+1, ch.Final(), want)
		}
	}
	wantLimited(t, loginErr(l, dev), ratelimit.ScopeDevice, 15*time.Minute)
	// The device's failures did not add to the username's or the address's.
	wantCount(t, st, ratelimit.LoginCounter("alice"), c.Now(), 10)
	wantCount(t, st, ratelimit.LoginIPCounter("198.51.100.7"), c.Now(), 0)
}

// TestLoginLockConcurrent races many guesses at a username one short of
// its lock: exactly one may go on to the password check. (Reading the
// counter first and charging after the check let all of them through.)
func TestLoginLockConcurrent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		a     func(i int) ratelimit.LoginAttempt
		scope ratelimit.Scope
	}{
		{"User", func(i int) ratelimit.LoginAttempt { return ratelimit.LoginAttempt{Username: "dave", IP: ipv4(i)} }, ratelimit.ScopeUser},
		{"IP", func(i int) ratelimit.LoginAttempt {
			return ratelimit.LoginAttempt{Username: fmt.Sprint("u", i), IP: "203.0.113.1"}
		}, ratelimit.ScopeIP},
		{"Device", func(i int) ratelimit.LoginAttempt {
			return ratelimit.LoginAttempt{Username: "dave", IP: ipv4(i), Device: "dev"}
		}, ratelimit.ScopeDevice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, c := mustStore(t), newClock()
			cfg := ratelimit.DefaultConfig()
			l := mustLimiter(t, st, cfg, c)
			max := map[ratelimit.Scope]int64{ratelimit.ScopeUser: cfg.LoginPerUser.Max, ratelimit.ScopeIP: cfg.LoginPerIP.Max, ratelimit.ScopeDevice: cfg.LoginPerDevice.Max}[tc.scope]
			for i := range int(max) - 1 {
				failLogin(t, l, tc.a(1000+i))
			}
			const racers = 16
			var wg sync.WaitGroup
			errs := make([]error, racers)
			start := make(chan struct{})
			for i := range racers {
				wg.Go(func() {
					<-start
					_, errs[i] = l.ChargeLogin(ctx, tc.a(2000+i))
				})
			}
			close(start)
			wg.Wait()
			allowed := 0
			for i, err := range errs {
				if err == nil {
					allowed++
					continue
				}
				if le, ok := ratelimit.IsLimited(err); !ok || le.Scope != tc.scope {
					t.Fatalf("racer %d: got %v, want allowed or a %s limit", i, err, tc.scope)
				}
			}
			if allowed != 1 {
				t.Fatalf("allowed %d of %d racing attempts, want 1", allowed, racers)
			}
		})
	}
}
