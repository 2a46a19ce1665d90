package keypad

import "context"

// Change says which cached state may have changed in the store, so that
// every keypad instance sharing the store can drop what it cached. Store
// writers emit it in the same transaction as the change, so a change made
// by any process (another instance, the CLI) reaches every watcher.
type Change uint8

const (
	// ChangeClients: a client was created, updated (secret, scopes, …) or
	// deleted.
	ChangeClients Change = 1 << iota
	// ChangeKeys: a signing key was created, retired or deleted.
	ChangeKeys

	// ChangeAll: anything may have changed (the watcher started or lost
	// its connection and may have missed notifications).
	ChangeAll = ChangeClients | ChangeKeys
)

// ChangeWatcher is implemented by stores that can tell their callers
// about changes made by other processes.
type ChangeWatcher interface {
	// WatchChanges calls fn for every change until ctx ends, then
	// returns. fn is called from one goroutine, with ChangeAll when the
	// watch starts and whenever it may have missed a change (err then
	// says why: a lost connection, an unreadable database); the watcher
	// recovers on its own (reconnecting with back-off).
	WatchChanges(ctx context.Context, fn func(c Change, err error))
}
