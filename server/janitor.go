package server

import (
	"context"
	"time"
)

// janitor keeps the store tidy and the keys fresh until ctx ends: it
// purges expired records (tokens, codes, sessions, revoked jtis) every
// purgeEvery, and re-reads the signing keys every refreshEvery so a
// rotation on another instance reaches this one.
func (s *Server) janitor(ctx context.Context) {
	defer s.janitorDone.Done()
	purge := time.NewTicker(s.purgeEvery)
	defer purge.Stop()
	refresh := time.NewTicker(s.refreshEvery)
	defer refresh.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-purge.C:
			s.purge(ctx)
		case <-refresh.C:
			s.refreshKeys(ctx)
		}
	}
}

// purge deletes expired records once.
func (s *Server) purge(ctx context.Context) {
	n, err := s.store.PurgeExpired(ctx, s.now())
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("purge expired records", "err", err)
	case n > 0:
		s.log.Info("purged expired records", "count", n)
	}
}

// refreshKeys re-reads the signing keys once.
func (s *Server) refreshKeys(ctx context.Context) {
	if err := s.keys.Refresh(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("refresh signing keys", "err", err)
	}
}
