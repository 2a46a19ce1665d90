package oauth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
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
	type task struct {
		i     int
		known bool
	}
	var tasks []task
	for i := range n {
		tasks = append(tasks, task{i, true}, task{i, false})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(tasks), func(a, b int) { tasks[a], tasks[b] = tasks[b], tasks[a] })
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
	fmt.Printf("%-22s %6s %10s %10s %10s\n", "bc-authorize", "n", "p10", "median", "p90")
	for _, k := range []string{"known", "unknown"} {
		d := times[k]
		slices.Sort(d)
		q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(time.Microsecond) }
		fmt.Printf("%-22s %6d %10s %10s %10s\n", k, len(d), q(0.1), q(0.5), q(0.9))
	}
}
