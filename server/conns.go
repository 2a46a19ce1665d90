package server

import (
	"net"
	"net/http"
	"sync"
)

// DropUnusedConnsOnShutdown makes srv's Shutdown close at once the
// connections on which no request has arrived yet. Call it before Serve.
//
// http.Server.Shutdown closes idle keep-alive connections at once but
// counts a connection that never sent a request (StateNew) as busy for
// its first 5 seconds. Browsers open such connections ahead of need
// (Chromium preconnects), and so does Go's own Transport when a request
// it dialed for is served by another connection first; each of them holds
// a shutdown for up to 5 s, past a shutdown deadline of 5 s (the demo's),
// which is how a test stopping a server under load failed. Such a
// connection carries nothing to finish, so it is closed like an idle one.
func DropUnusedConnsOnShutdown(srv *http.Server) {
	t := &connTracker{fresh: map[net.Conn]struct{}{}}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		t.state(c, st)
		if prev != nil {
			prev(c, st)
		}
	}
	srv.RegisterOnShutdown(t.shutdown)
}

// connTracker remembers the connections that have not sent a request.
type connTracker struct {
	mu       sync.Mutex
	fresh    map[net.Conn]struct{}
	shutting bool
}

func (t *connTracker) state(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case st == http.StateNew && t.shutting:
		// Accepted just before the listener closed.
		c.Close()
	case st == http.StateNew:
		t.fresh[c] = struct{}{}
	default:
		delete(t.fresh, c)
	}
}

// shutdown runs when Shutdown has closed the listeners: it closes every
// connection still waiting for its first request.
func (t *connTracker) shutdown() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.shutting = true
	for c := range t.fresh {
		c.Close()
		delete(t.fresh, c)
	}
}
