package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
)

// clientCache keeps client records for a short time so that the token
// endpoint does not read the store on every request. Records are shared:
// callers must not modify them. With a zero TTL it is a plain pass-through.
//
// The server empties it whenever the store reports a client change
// (Server.ForgetClients); the TTL is only the safety net. A read that
// started before such a report must not refill the cache with what it
// read, so every report starts a new epoch and a read from an older epoch
// is returned but not kept.
type clientCache struct {
	store keypad.ClientStore
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedClient
	epoch   uint64 // under mu; bumped by forgetAll
}

type cachedClient struct {
	c       *keypad.Client
	expires time.Time
}

// maxCachedClients bounds the cache; past it, the cache starts afresh
// rather than growing with every client ID someone tries.
const maxCachedClients = 10000

func newClientCache(store keypad.ClientStore, ttl time.Duration, now func() time.Time) *clientCache {
	return &clientCache{store: store, ttl: ttl, now: now, entries: map[string]cachedClient{}}
}

// GetClient returns the client, from the cache while its entry is fresh. Unknown
// clients are not cached, so a client created on another instance works
// at once.
func (cc *clientCache) GetClient(ctx context.Context, id string) (*keypad.Client, error) {
	if cc.ttl <= 0 {
		return cc.store.GetClient(ctx, id)
	}
	now := cc.now()
	cc.mu.RLock()
	e, ok := cc.entries[id]
	epoch := cc.epoch
	cc.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.c, nil
	}
	c, err := cc.store.GetClient(ctx, id)
	if err != nil {
		cc.forget(id)
		return nil, err
	}
	cc.mu.Lock()
	if cc.epoch != epoch {
		cc.mu.Unlock()
		return c, nil // a change was reported while we read: do not keep it
	}
	if len(cc.entries) >= maxCachedClients {
		clear(cc.entries)
	}
	cc.entries[id] = cachedClient{c: c, expires: now.Add(cc.ttl)}
	cc.mu.Unlock()
	return c, nil
}

func (cc *clientCache) forget(id string) {
	cc.mu.Lock()
	delete(cc.entries, id)
	cc.mu.Unlock()
}

// forgetAll empties the cache and starts a new epoch.
func (cc *clientCache) forgetAll() {
	cc.mu.Lock()
	clear(cc.entries)
	cc.epoch++
	cc.mu.Unlock()
}

// client returns a registered client (see Config.ClientCacheTTL).
func (s *Server) client(ctx context.Context, id string) (*keypad.Client, error) {
	return s.clients.GetClient(ctx, id)
}

// ForgetClient drops a client from this server's cache, so that deleting
// it or rotating its secret through this process takes effect at once.
func (s *Server) ForgetClient(id string) { s.clients.forget(id) }

// ForgetClients empties this server's client cache: call it when the
// store reports that clients changed (keypad.ChangeClients), whichever
// process changed them. Reads in flight when it is called are not kept.
func (s *Server) ForgetClients() { s.clients.forgetAll() }
