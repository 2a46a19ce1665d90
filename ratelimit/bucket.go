package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Buckets is an in-memory token bucket per key (usually IPKey): a cheap
// throttle in front of the store-backed limits, so one address cannot
// flood the store or race many requests past a check at once. It holds
// per instance only; the security limits are the store's.
type Buckets struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time
	// maxKeys bounds memory: past it, buckets that have refilled are
	// dropped (they hold no information), and if none has, all are.
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewBuckets returns buckets that refill at rate tokens per second up to
// burst. now is the clock (time.Now when nil).
func NewBuckets(rate float64, burst int, now func() time.Time) *Buckets {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	return &Buckets{rate: rate, burst: float64(burst), now: now, maxKeys: 100000, buckets: map[string]*bucket{}}
}

// Allow takes a token for key. When the bucket is empty it returns false
// and how long until the next token.
func (b *Buckets) Allow(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	bk, ok := b.buckets[key]
	if !ok {
		if len(b.buckets) >= b.maxKeys {
			b.evict(now)
		}
		bk = &bucket{tokens: b.burst, last: now}
		b.buckets[key] = bk
	}
	b.refill(bk, now)
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	if b.rate <= 0 {
		return false, time.Duration(math.MaxInt64)
	}
	wait := time.Duration((1 - bk.tokens) / b.rate * float64(time.Second))
	return false, wait
}

func (b *Buckets) refill(bk *bucket, now time.Time) {
	if el := now.Sub(bk.last).Seconds(); el > 0 {
		bk.tokens = math.Min(b.burst, bk.tokens+el*b.rate)
	}
	bk.last = now
}

func (b *Buckets) evict(now time.Time) {
	for k, bk := range b.buckets {
		b.refill(bk, now)
		if bk.tokens >= b.burst {
			delete(b.buckets, k)
		}
	}
	if len(b.buckets) >= b.maxKeys {
		clear(b.buckets)
	}
}
