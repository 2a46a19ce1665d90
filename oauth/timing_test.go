package oauth

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
)

var (
	timing  = flag.Bool("timing", false, "run TestTimingDistribution, a measurement of known against unknown identifiers (docs/security.md, Timing)")
	timingN = flag.Int("timing.n", 1000, "lookups and sends per kind for TestTimingDistribution")
)

// TestTimingDistribution measures what an attacker timing the OTP
// endpoints sees: timingN lookups and sends for known people and as many
// for unknown identifiers, interleaved in random order, over real HTTP
// against a real SQLite store, with the queue's worker delivering the
// real texts to a Twilio-speaking server at the same time (as in
// production). It prints median, p10 and p90 per kind; it asserts only
// that every answer was the same and every real text went out, never a
// time. Opt-in: go test ./oauth/ -run TestTimingDistribution -timing -v
func TestTimingDistribution(t *testing.T) {
	if !*timing {
		t.Skip("a measurement; run it with -timing (see docs/security.md, Timing)")
	}
	n := *timingN
	e := newOTPEnv(t, OTPConfig{LookupLimit: ratelimit.Limit{Max: 100_000, Window: time.Hour}, DailyPerClient: 1_000_000})
	for i := range n {
		e.mustPerson(fmt.Sprint("sub-", i), person{Name: fmt.Sprint("P", i), Phone: fmt.Sprintf("(415) 867-%04d", i)})
	}
	ctx, stop := context.WithCancel(context.Background())
	worker := make(chan struct{})
	go func() { e.srv.RunOTPQueue(ctx); close(worker) }()

	tasks := interleaved(n, 1)
	times := map[string][]time.Duration{}
	for _, tk := range tasks {
		kind, phone := "known", fmt.Sprintf("(415) 867-%04d", tk.i)
		if !tk.known {
			kind, phone = "unknown", fmt.Sprintf("(312) 555-%04d", tk.i)
		}
		start := time.Now()
		r := e.lookup(phone, "phone")
		times["lookup "+kind] = append(times["lookup "+kind], time.Since(start))
		c := mustChallenge(t, r)
		ch := c.channels[0]["id"].(string)
		start = time.Now()
		s := e.sendOnly(c.session, ch)
		times["send "+kind] = append(times["send "+kind], time.Since(start))
		if s.status != http.StatusOK {
			t.Fatalf("send %s %d: %d %s", kind, tk.i, s.status, s.raw)
		}
	}
	stop()
	<-worker
	e.deliver() // what the worker left when it stopped
	if got := len(e.twilio.Accepted()); got != n {
		t.Errorf("texts delivered = %d, want %d (one per known person, none for decoys)", got, n)
	}

	printTimings("kind", times, "lookup known", "lookup unknown", "send known", "send unknown")
}

// timingTask is one request of a timing measurement: the i-th known or
// unknown identifier.
type timingTask struct {
	i     int
	known bool
}

// interleaved returns n known and n unknown tasks in a random order drawn
// from seed, so neither kind runs while the machine is warmer or busier.
func interleaved(n int, seed uint64) []timingTask {
	var tasks []timingTask
	for i := range n {
		tasks = append(tasks, timingTask{i, true}, timingTask{i, false})
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	rng.Shuffle(len(tasks), func(a, b int) { tasks[a], tasks[b] = tasks[b], tasks[a] })
	return tasks
}

// printTimings prints p10, median and p90 of each kind's durations.
func printTimings(title string, times map[string][]time.Duration, kinds ...string) {
	fmt.Printf("%-22s %6s %10s %10s %10s\n", title, "n", "p10", "median", "p90")
	for _, k := range kinds {
		d := times[k]
		slices.Sort(d)
		q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(time.Microsecond) }
		fmt.Printf("%-22s %6d %10s %10s %10s\n", k, len(d), q(0.1), q(0.5), q(0.9))
	}
}
