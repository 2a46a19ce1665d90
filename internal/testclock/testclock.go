// Package testclock holds the injected time and randomness that keypad's
// tests hand to the code under test (DESIGN.md: time and randomness are
// injected), so every package's tests move time the same way and draw
// repeatable random bytes.
package testclock

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Clock is a clock the test moves by hand; safe for concurrent handlers.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass it where code wants a Now func.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Rand is a seeded, concurrency-safe source of random bytes, so tests that
// draw codes and secrets are repeatable.
type Rand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

// NewRand returns a source seeded with seed as the first byte of the
// ChaCha8 key.
func NewRand(seed byte) *Rand {
	var s [32]byte
	s[0] = seed
	return &Rand{r: rand.NewChaCha8(s)}
}

// Read fills p with random bytes; it never fails.
func (r *Rand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Read(p)
}
