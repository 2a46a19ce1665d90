package ratelimit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/store/sqlite"
)

// clock is an injected clock the test moves by hand.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

func mustStore(t *testing.T) keypad.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

func mustLimiter(t *testing.T, st keypad.Store, cfg ratelimit.Config, c *clock) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(st, cfg, c.Now)
	if err != nil {
		t.Fatalf("ratelimit.New: %v", err)
	}
	return l
}

// wantLimited checks that err is a *ratelimit.Error of the given scope and
// retry bound.
func wantLimited(t *testing.T, err error, scope ratelimit.Scope, retry time.Duration) {
	t.Helper()
	le, ok := ratelimit.IsLimited(err)
	if !ok {
		t.Fatalf("got %v, want a %s limit", err, scope)
	}
	if le.Scope != scope || le.RetryAfter != retry {
		t.Fatalf("got limit %s retry %s, want %s retry %s", le.Scope, le.RetryAfter, scope, retry)
	}
}

func wantCount(t *testing.T, st keypad.Store, key string, now time.Time, want int64) {
	t.Helper()
	got, err := st.Count(context.Background(), key, now)
	if err != nil {
		t.Fatalf("count %s: %v", key, err)
	}
	if got != want {
		t.Fatalf("counter %s = %d, want %d", key, got, want)
	}
}

// wrongCode charges one entry and records it as a wrong code.
func wrongCode(t *testing.T, l *ratelimit.Limiter, session, ip string) {
	t.Helper()
	a, err := l.ChargeCode(context.Background(), session, ip)
	if err != nil {
		t.Fatalf("entry from %s/%s: got %v, want allowed", session, ip, err)
	}
	if err := a.Failed(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// allowed charges one entry, fails the test if it is refused, and takes
// the charge back (a right code).
func allowed(t *testing.T, l *ratelimit.Limiter, session, ip, when string) {
	t.Helper()
	a, err := l.ChargeCode(context.Background(), session, ip)
	if err != nil {
		t.Fatalf("%s: got %v, want allowed", when, err)
	}
	if err := a.Refund(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func limited(l *ratelimit.Limiter, session, ip string) error {
	_, err := l.ChargeCode(context.Background(), session, ip)
	return err
}

func TestCodePerSession(t *testing.T) {
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	// Each wrong code comes from another IP, so only the session limit
	// can bite.
	for i := range 5 {
		wrongCode(t, l, "s1", ipv4(i))
	}
	wantCount(t, st, ratelimit.CodeSessionCounter("s1"), c.Now(), 5)
	wantLimited(t, limited(l, "s1", ipv4(99)), ratelimit.ScopeSession, 15*time.Minute)
	// A refused entry takes its charge back, and so does a right code.
	wantCount(t, st, ratelimit.CodeSessionCounter("s1"), c.Now(), 5)
	wantCount(t, st, ratelimit.CodeIPCounter(ipv4(99)), c.Now(), 0)
	allowed(t, l, "s2", ipv4(99), "another session")
	wantCount(t, st, ratelimit.CodeSessionCounter("s2"), c.Now(), 0)

	c.Advance(15*time.Minute + time.Second)
	wantCount(t, st, ratelimit.CodeSessionCounter("s1"), c.Now(), 0)
	allowed(t, l, "s1", ipv4(99), "after the window")
}

func TestCodePerIP(t *testing.T) {
	st, c := mustStore(t), newClock()
	l := mustLimiter(t, st, ratelimit.DefaultConfig(), c)
	for i := range 20 {
		wrongCode(t, l, fmt.Sprint("s", i), "2001:db8:1:2::10") // a new session every time
	}
	wantCount(t, st, ratelimit.CodeIPCounter("2001:db8:1:2::10"), c.Now(), 20)
	wantLimited(t, limited(l, "fresh", "2001:db8:1:2::10"), ratelimit.ScopeIP, time.Hour)
	// Another address in the same /64 is the same subscriber.
	wantLimited(t, limited(l, "fresh", "2001:db8:1:2:ffff::1"), ratelimit.ScopeIP, time.Hour)
	wantCount(t, st, ratelimit.CodeSessionCounter("fresh"), c.Now(), 0)
	allowed(t, l, "fresh", "2001:db8:1:3::10", "another /64")
	c.Advance(time.Hour)
	allowed(t, l, "fresh", "2001:db8:1:2::10", "after the window")
}

// TestCodeConcurrent races many entries at a session one short of its
// limit: exactly one may be looked up. (Reading the counters first and
// charging after the look-up let every one of them through.)
func TestCodeConcurrent(t *testing.T) {
	st, c := mustStore(t), newClock()
	cfg := ratelimit.DefaultConfig()
	l := mustLimiter(t, st, cfg, c)
	for i := range int(cfg.CodePerSession.Max) - 1 {
		wrongCode(t, l, "s1", ipv4(i))
	}
	const racers = 16
	var wg sync.WaitGroup
	attempts := make([]*ratelimit.CodeAttempt, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			attempts[i], errs[i] = l.ChargeCode(context.Background(), "s1", ipv4(100+i))
		})
	}
	close(start)
	wg.Wait()
	through := 0
	for i, err := range errs {
		if err == nil {
			through++
			if err := attempts[i].Failed(context.Background()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if le, ok := ratelimit.IsLimited(err); !ok || le.Scope != ratelimit.ScopeSession {
			t.Fatalf("racer %d: got %v, want allowed or the session limit", i, err)
		}
	}
	if through != 1 {
		t.Fatalf("%d of %d racing entries were looked up, want 1", through, racers)
	}
	wantCount(t, st, ratelimit.CodeSessionCounter("s1"), c.Now(), cfg.CodePerSession.Max)
}

func TestCodeGlobalGuard(t *testing.T) {
	ctx := context.Background()
	st, c := mustStore(t), newClock()
	cfg := ratelimit.DefaultConfig()
	cfg.CodeGlobal = ratelimit.Limit{Max: 30, Window: time.Minute}
	cfg.GlobalCooldown = 2 * time.Minute
	l := mustLimiter(t, st, cfg, c)

	// 29 wrong codes from 29 sessions and addresses: below the rate.
	for i := range 29 {
		wrongCode(t, l, "s"+ipv4(i), ipv4(i))
	}
	if tripped, _ := l.GuardTripped(ctx); tripped {
		t.Fatal("guard tripped below the limit")
	}
	wrongCode(t, l, "last", ipv4(200))
	wantCount(t, st, ratelimit.CodeGlobalCounter, c.Now(), 30)
	wantCount(t, st, ratelimit.CodeGuardCounter, c.Now(), 1)
	// Everyone is refused, even a fresh session on a fresh address.
	wantLimited(t, limited(l, "innocent", "198.51.100.7"), ratelimit.ScopeGlobal, 2*time.Minute)

	c.Advance(2 * time.Minute)
	allowed(t, l, "innocent", "198.51.100.7", "after the cool-down")
	wantCount(t, st, ratelimit.CodeGuardCounter, c.Now(), 0)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*ratelimit.Config)
		ok     bool
	}{
		{"OK", func(*ratelimit.Config) {}, true},
		{"ErrZeroMax", func(c *ratelimit.Config) { c.CodePerSession.Max = 0 }, false},
		{"ErrTooLoose", func(c *ratelimit.Config) { c.CodePerIP.Max = 1 << 20 }, false},
		{"ErrShortWindow", func(c *ratelimit.Config) { c.CodeGlobal.Window = time.Millisecond }, false},
		{"ErrNoCooldown", func(c *ratelimit.Config) { c.GlobalCooldown = 0 }, false},
		{"ErrNoLoginLimit", func(c *ratelimit.Config) { c.LoginPerUser = ratelimit.Limit{} }, false},
		{"ErrNoLoginIPLimit", func(c *ratelimit.Config) { c.LoginPerIP = ratelimit.Limit{} }, false},
		{"ErrLoginGlobalTooLoose", func(c *ratelimit.Config) { c.LoginGlobal.Max = 1 << 21 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ratelimit.DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if got := err == nil; got != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func ipv4(i int) string { return fmt.Sprintf("192.0.2.%d", i%250+1) }
