// Package admin is keypad's admin API: JSON resources under /admin/v1/
// for what the CLI manages on the database (clients, people and their
// imports, scopes, grants, tokens, signing keys, the audit log), served
// over HTTP so that other systems can manage keypad without a shell on
// its machine. Package server mounts it on the admin listener (loopback
// by default) and, with admin_public, on the public one.
//
// Every request is authorised by oauth's one gate, AuthorizeAdmin: an
// access token of keypad's own with an admin scope (keypad:admin, or the
// area's: keypad:clients, keypad:users, keypad:grants, keypad:keys,
// keypad:audit), Bearer or DPoP; cookies never
// count. The rules are the CLI's, in package manage and on the domain
// types, so the two cannot disagree.
//
// The wire: errors are RFC 9457 problem details; single resources carry
// an ETag (their version: updated_at, or their content) and updates and deletes honour
// If-Match with a conditional write in the store, so a stale writer
// loses even under a race; creates honour Idempotency-Key; lists page
// with limit and an opaque cursor. openapi.json, served at
// /admin/v1/openapi.json, describes all of it, and the tests hold every
// answer to it. See docs/admin-api.md.
package admin
