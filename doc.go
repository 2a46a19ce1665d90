// Package keypad holds the domain of the keypad authorization server: the
// nouns (clients, subjects, grants, tokens, signing keys, scopes, security
// counters) and the Store interface that every storage backend implements.
//
// The package deliberately imports neither net/http nor database/sql. The
// protocol lives in package oauth, storage in store/sqlite and
// store/postgres, token minting in package token and the wiring in package
// server; they all speak in the types defined here.
//
// Secrets (client secrets, opaque tokens, refresh tokens, codes) never reach
// a Store in clear: callers hash them with SecretHash first, and the Store
// keys records by that hash.
package keypad
