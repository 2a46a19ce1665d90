package oauth

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestDeviceCodeIntervalCap floods one code with a poll a second: each
// slow_down adds RFC 8628 §3.5's 5 seconds until the interval reaches a
// minute, and then it stays there; once capped, the early polls are
// answered from the instance's memory and write nothing.
func TestDeviceCodeIntervalCap(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "")
	wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAuthorizationPending)
	want := 5 * time.Second
	for i := range 20 {
		e.clk.Advance(time.Second)
		r := e.poll("tv", c)
		wantError(t, r, http.StatusBadRequest, CodeSlowDown)
		want = min(want+5*time.Second, time.Minute)
		if got := e.record(c).Interval; got != want {
			t.Fatalf("poll %d: stored interval %s, want %s", i, got, want)
		}
		if got := r.header.Get("Retry-After"); got != formatSeconds(want) {
			t.Errorf("poll %d: Retry-After %q, want %q", i, got, formatSeconds(want))
		}
	}
	capped := e.record(c)
	for range 5 {
		e.clk.Advance(time.Second)
		wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeSlowDown)
	}
	if got := e.record(c); !got.LastPolledAt.Equal(capped.LastPolledAt) || got.Interval != capped.Interval {
		t.Errorf("early polls at the cap wrote the record: last poll %v interval %s, want %v %s",
			got.LastPolledAt, got.Interval, capped.LastPolledAt, capped.Interval)
	}
	// Approved meanwhile: the next on-time poll takes the tokens.
	answer(t, e, c.user, "alice", true)
	e.clk.Advance(time.Second)
	wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeSlowDown)
	e.clk.Advance(capped.LastPolledAt.Add(time.Minute).Sub(e.clk.Now()))
	wantTokens(t, e.poll("tv", c))
}

// TestDeviceCodeIntervalCapLifetime: near its expiry a code's interval
// grows no further than its remaining lifetime, and never shrinks.
func TestDeviceCodeIntervalCapLifetime(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{Lifetime: time.Minute, Interval: 5 * time.Second})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "")
	start := e.clk.Now()
	wantError(t, e.poll("tv", c), http.StatusBadRequest, CodeAuthorizationPending)
	steps := []struct {
		at       time.Duration
		interval time.Duration
	}{
		{41 * time.Second, 5 * time.Second},  // on time: pending
		{42 * time.Second, 10 * time.Second}, // 18 s left
		{43 * time.Second, 15 * time.Second}, // 17 s left
		{45 * time.Second, 15 * time.Second}, // 15 s left: capped there
		{50 * time.Second, 15 * time.Second}, // 10 s left: kept, not shortened
	}
	for _, s := range steps {
		e.clk.Advance(start.Add(s.at).Sub(e.clk.Now()))
		e.poll("tv", c)
		if got := e.record(c).Interval; got != s.interval {
			t.Errorf("t+%s: interval %s, want %s", s.at, got, s.interval)
		}
	}
}

// TestDeviceCodeIntervalTwoInstances: two servers on one store share the
// slow_down a code earned on either, since a longer interval is written.
func TestDeviceCodeIntervalTwoInstances(t *testing.T) {
	a := newDeviceEnv(t, DeviceConfig{})
	a.mustClient(tv("tv", "read"))
	b := *a // a second instance: its own Server, the same store and clock
	srv, err := New(a.cfg, a.deps)
	if err != nil {
		t.Fatal(err)
	}
	b.srv = srv
	b.start()
	c := a.mustDeviceAuth("tv", "", "")
	wantError(t, a.poll("tv", c), http.StatusBadRequest, CodeAuthorizationPending)
	a.clk.Advance(time.Second)
	wantError(t, a.poll("tv", c), http.StatusBadRequest, CodeSlowDown)
	// b never saw the code, but the stored interval (10 s) and poll time
	// say this poll, 6 s after the slow_down, is early.
	a.clk.Advance(6 * time.Second)
	wantError(t, (&b).poll("tv", c), http.StatusBadRequest, CodeSlowDown)
	if got := a.record(c).Interval; got != 15*time.Second {
		t.Errorf("interval after a slow_down on each instance = %s, want 15s", got)
	}
}

func formatSeconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
