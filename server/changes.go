package server

import (
	"context"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
)

// watchChanges keeps this instance's caches coherent with the shared
// store until ctx ends: when the store reports that clients changed (on
// any instance, or through the CLI) the client cache is emptied, and when
// signing keys changed the keyring re-reads them, so a rotation signs and
// verifies everywhere within the store's bound (docs/scale-out.md). A
// report of a lost connection empties everything: a change may have been
// missed. The janitor's periodic key refresh stays as a safety net.
//
// watching is closed at the first report (the watch is established), or
// at once if the store cannot report changes.
func (s *Server) watchChanges(ctx context.Context, watching chan<- struct{}) {
	defer s.janitorDone.Done()
	w, ok := s.store.(keypad.ChangeWatcher)
	if !ok {
		close(watching)
		return
	}
	var once sync.Once
	w.WatchChanges(ctx, func(c keypad.Change, err error) {
		// The first report (ChangeAll, as the watch is established) is
		// handled before New may return: were watching closed first, a
		// request served meanwhile could have its client read discarded
		// by this report's ForgetClients and the cache start out cold.
		defer once.Do(func() { close(watching) })
		if err != nil && ctx.Err() == nil {
			s.log.Warn("store change watch interrupted; caches dropped", "err", err)
		}
		if c&keypad.ChangeClients != 0 {
			s.oauth.ForgetClients()
		}
		if c&keypad.ChangeKeys != 0 {
			s.refreshKeys(ctx)
		}
	})
}

// watchStartTimeout bounds how long New waits for the change watch to be
// established before serving anyway (with the TTL as the only bound).
const watchStartTimeout = 5 * time.Second

// awaitWatch waits until the change watch is established, so that no
// change committed after New returns can be missed.
func (s *Server) awaitWatch(watching <-chan struct{}) {
	t := time.NewTimer(watchStartTimeout)
	defer t.Stop()
	select {
	case <-watching:
	case <-t.C:
		s.log.Warn("store change watch not established yet; serving anyway", "waited", watchStartTimeout)
	}
}
