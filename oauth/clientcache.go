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
type clientCache struct {
	store keypad.ClientStore
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedClient
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

// client returns a registered client (see Config.ClientCacheTTL).
func (s *Server) client(ctx context.Context, id string) (*keypad.Client, error) {
	return s.clients.GetClient(ctx, id)
}

// ForgetClient drops a client from this server's cache, so that deleting
// it or rotating its secret through this process takes effect at once.
func (s *Server) ForgetClient(id string) { s.clients.forget(id) }
