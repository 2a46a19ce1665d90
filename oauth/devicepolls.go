package oauth

import (
	"sync"
	"time"
)

// pollMemory is one instance's record of the device polls it admitted:
// for each device code (by hash) the time of the last poll that reached
// the store, the interval then in force and the code's client and
// expiry. A poll that this record alone shows to be too early, for a code
// whose interval is already at its cap, is answered slow_down without
// touching the store (devicecode.go); every other poll reads the store.
//
// The record can only make an answer stricter than the store's: it is
// consulted in addition to the persisted last poll and interval, never
// instead of them, and an entry is dropped when its code expires. It is
// per instance, so across n instances a device that spreads its early
// polls over all of them is still held to one admitted poll per interval
// on each (docs/performance.md states the bound).
type pollMemory struct {
	mu sync.Mutex
	m  map[string]pollEntry
	// sweepAt is the size at which the next insert drops expired
	// entries; it doubles with the live entries so sweeps stay rare.
	sweepAt int
}

// pollEntry is what pollMemory keeps about one device code.
type pollEntry struct {
	at, expires time.Time
	interval    time.Duration
	clientID    string
}

// minSweep is the smallest pollMemory that is swept for expired entries.
const minSweep = 1024

func newPollMemory() *pollMemory {
	return &pollMemory{m: map[string]pollEntry{}, sweepAt: minSweep}
}

// early reports whether a poll of the code under hash by clientID at now
// comes before the interval this instance last admitted it with has
// passed, and returns what the instance remembers of the code.
func (p *pollMemory) early(hash []byte, clientID string, now time.Time) (pollEntry, bool) {
	p.mu.Lock()
	e, ok := p.m[string(hash)]
	p.mu.Unlock()
	if !ok || e.clientID != clientID || !now.Before(e.expires) || !now.Before(e.at.Add(e.interval)) {
		return pollEntry{}, false
	}
	return e, true
}

// admitted records that a poll at at reached the store and left the code
// pending with interval.
func (p *pollMemory) admitted(hash []byte, e pollEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= p.sweepAt {
		for k, old := range p.m {
			if !e.at.Before(old.expires) {
				delete(p.m, k)
			}
		}
		p.sweepAt = max(minSweep, 2*len(p.m))
	}
	p.m[string(hash)] = e
}

// forget drops the code under hash: it is no longer pending.
func (p *pollMemory) forget(hash []byte) {
	p.mu.Lock()
	delete(p.m, string(hash))
	p.mu.Unlock()
}

// len returns the number of codes remembered, for tests.
func (p *pollMemory) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}
