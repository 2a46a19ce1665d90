package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// target is what a run sends: request i's method, URL, body and headers,
// and the status every answer must have.
type target struct {
	method, url string
	// body returns request i's body (nil: none); it may differ per
	// request, as the device codes of a poll workload do.
	body   func(i uint64) []byte
	header http.Header
	status int
}

// result is one run's outcome.
type result struct {
	n, errs  int
	firstErr string
	elapsed  time.Duration
	lat      []time.Duration // sorted
	// wakes are, in an open-loop run, how late the sender woke for each
	// request it had gone to sleep for, ahead of the request's due time
	// (sorted): how much of the latencies is the bench's own. A server
	// that waits (on a lock, a disk) cannot make these long; a machine
	// that stopped running the bench does (a paused virtual machine, or
	// CPUs taken by other work, the server's own included), and then
	// every request is late.
	wakes []time.Duration
	// cpu is the CPU time the server used during the run (user and
	// system, all its threads), or -1 where it is unknown.
	cpu time.Duration
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// cpuPerRequest is the server's CPU time per answered request, as
// "123 µs", or "—" when it is unknown. Unlike the rate, it hardly moves
// with what else the machine runs: the figure to compare two builds by.
func (r result) cpuPerRequest() string {
	if r.cpu < 0 || r.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f µs", float64(r.cpu)/float64(r.n)/float64(time.Microsecond))
}

// quantile returns the q-quantile of the latencies (0 with none).
func (r result) quantile(q float64) time.Duration { return quantile(r.lat, q) }

// wakeQuantile returns the q-quantile of the sender's late wake-ups.
func (r result) wakeQuantile(q float64) time.Duration { return quantile(r.wakes, q) }

// quantile returns the q-quantile of sorted (0 when it is empty).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// newClient returns an HTTP client keeping up to conns keep-alive
// connections to one host, and no more.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}}
}

// do sends request i and reads the whole answer; it returns an error
// description when the status is not the expected one.
func (t *target) do(ctx context.Context, c *http.Client, i uint64) string {
	var body io.Reader
	if t.body != nil {
		body = bytes.NewReader(t.body(i))
	}
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, body)
	if err != nil {
		return err.Error()
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != t.status {
		return fmt.Sprintf("status %d, want %d: %.200s", resp.StatusCode, t.status, b)
	}
	return ""
}

// tally collects the latencies and errors of a run's workers.
type tally struct {
	mu       sync.Mutex
	lat      []time.Duration
	errs     int
	firstErr string
	// samples, kept by the open loop only: each request's due time (from
	// the run's start), latency and error, for per-window figures.
	samples []sample
	// wakes, kept by the open loop only: how late the sender woke for
	// each request it slept for, by due time. The sender owns it (no
	// lock): it appends, and reads it once every worker is done.
	wakes []sample
}

// sample is one request of an open-loop run.
type sample struct {
	at, lat time.Duration
	err     bool
}

func (t *tally) add(lat []time.Duration, errs int, firstErr string, samples []sample) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lat = append(t.lat, lat...)
	t.errs += errs
	if t.firstErr == "" {
		t.firstErr = firstErr
	}
	t.samples = append(t.samples, samples...)
}

// windows splits an open-loop run's requests by due time into windows of
// length w, each a result of its own.
func (t *tally) windows(w time.Duration, elapsed time.Duration) []result {
	n := int((elapsed + w - 1) / w)
	out := make([]result, n)
	for i := range out {
		out[i].elapsed = min(w, elapsed-time.Duration(i)*w)
	}
	for _, s := range t.samples {
		r := &out[min(n-1, int(s.at/w))]
		r.n++
		r.lat = append(r.lat, s.lat)
		if s.err {
			r.errs++
		}
	}
	for _, s := range t.wakes {
		r := &out[min(n-1, int(s.at/w))]
		r.wakes = append(r.wakes, s.lat)
	}
	for i := range out {
		slices.Sort(out[i].lat)
		slices.Sort(out[i].wakes)
	}
	return out
}

func (t *tally) result(elapsed time.Duration) result {
	slices.Sort(t.lat)
	wakes := make([]time.Duration, len(t.wakes))
	for i, s := range t.wakes {
		wakes[i] = s.lat
	}
	slices.Sort(wakes)
	return result{n: len(t.lat), errs: t.errs, firstErr: t.firstErr, elapsed: elapsed, lat: t.lat, wakes: wakes}
}

// closedLoop runs conns workers, each sending its next request as soon
// as the last one is answered, for d or until max requests were sent
// (max 0: no limit).
func closedLoop(ctx context.Context, t *target, conns int, d time.Duration, max uint64) result {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next uint64
	var mu sync.Mutex
	claim := func() (uint64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if max > 0 && next >= max {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var all tally
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil {
				i, ok := claim()
				if !ok {
					break
				}
				t0 := time.Now()
				e := t.do(ctx, c, i)
				if ctx.Err() != nil {
					break // cut off by the deadline: not counted
				}
				if e != "" {
					errs++
					first = cmpOr(first, e)
				}
				lat = append(lat, time.Since(t0))
			}
			all.add(lat, errs, first, nil)
		})
	}
	wg.Wait()
	return all.result(time.Since(start))
}

// openLoop sends rate requests a second for d whatever the answers'
// pace, from up to workers requests in flight. A request's latency runs
// from the moment it was due, not from when a worker was free to send
// it, so a stall counts against every request it delayed (no
// coordinated omission).
func openLoop(ctx context.Context, t *target, rate, workers int, d time.Duration) result {
	r, _ := openLoopWindows(ctx, t, rate, workers, d, 0)
	return r
}

// openLoopWindows is openLoop that also returns the run cut by due time
// into windows of length w (none when w is 0), for a soak's figures over
// time.
func openLoopWindows(ctx context.Context, t *target, rate, workers int, d, w time.Duration) (result, []result) {
	c := newClient(workers)
	defer c.CloseIdleConnections()
	total := uint64(float64(rate) * d.Seconds())
	period := time.Second / time.Duration(rate)
	type job struct {
		i   uint64
		due time.Time
	}
	jobs := make(chan job, workers)
	var all tally
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			var lat []time.Duration
			var samples []sample
			errs, first := 0, ""
			for j := range jobs {
				e := t.do(ctx, c, j.i)
				if e != "" {
					errs++
					first = cmpOr(first, e)
				}
				l := time.Since(j.due)
				lat = append(lat, l)
				if w > 0 {
					samples = append(samples, sample{at: j.due.Sub(start), lat: l, err: e != ""})
				}
			}
			all.add(lat, errs, first, samples)
		})
	}
	// Room for every wake-up, so that recording one never copies the
	// slice between the sender's waking and its sending.
	all.wakes = make([]sample, 0, total)
	for i := range total {
		due := start.Add(time.Duration(i) * period)
		if ahead := time.Until(due); ahead > 0 {
			time.Sleep(ahead)
			all.wakes = append(all.wakes, sample{at: due.Sub(start), lat: time.Since(due)})
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- job{i, due}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	var windows []result
	if w > 0 {
		windows = all.windows(w, min(elapsed, d))
	}
	return all.result(elapsed), windows
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
