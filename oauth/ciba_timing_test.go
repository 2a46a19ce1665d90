package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
)

// TestCIBATimingDistribution measures what an attacker timing the
// backchannel endpoint sees: timing.n requests for known people's phone
// numbers and as many for unknown ones, interleaved in random order, over
// real HTTP against a real SQLite store, with the queue's worker
// delivering the real texts meanwhile. It prints p10, median and p90 per
// kind; it asserts only that every answer had the same shape and every
// real text went out, never a time. Opt-in:
// go test ./oauth/ -run TestCIBATimingDistribution -timing -timing.n 300 -v
func TestCIBATimingDistribution(t *testing.T) {
	if !*timing {
		t.Skip("a measurement; run it with -timing (see docs/ciba.md)")
	}
	n := *timingN
	e := newCIBAEnv(t, OTPConfig{LookupLimit: ratelimit.Limit{Max: 100_000, Window: time.Hour}, DailyPerClient: 1_000_000})
	for i := range n {
		e.mustPerson(fmt.Sprint("sub-t", i), person{Name: fmt.Sprint("P", i), Phone: fmt.Sprintf("(415) 867-%04d", i)})
	}
	ctx, stop := context.WithCancel(context.Background())
	worker := make(chan struct{})
	go func() { e.srv.RunOTPQueue(ctx); close(worker) }()
	tasks := interleaved(n, 3)
	times := map[string][]time.Duration{}
	for _, tk := range tasks {
		kind, phone := "known", fmt.Sprintf("(415) 867-%04d", tk.i)
		if !tk.known {
			kind, phone = "unknown", fmt.Sprintf("(312) 555-%04d", tk.i)
		}
		form := url.Values{"login_hint": {phone}, "scope": {"openid " + usageScope}, "binding_message": {"4821"}}
		start := time.Now()
		r := e.post(PathBCAuthorize, form, basic(e.tv.ID, e.secret))
		times[kind] = append(times[kind], time.Since(start))
		if r.status != http.StatusOK || len(r.body) != 3 {
			t.Fatalf("%s %d: %d %s", kind, tk.i, r.status, r.raw)
		}
	}
	stop()
	<-worker
	e.deliver()
	if got := len(e.twilio.Accepted()); got != n {
		t.Errorf("texts delivered = %d, want %d (one per known person, none for unknown hints)", got, n)
	}
	printTimings("bc-authorize", times, "known", "unknown")
}
