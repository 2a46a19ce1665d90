// Package cluster holds the multi-instance harness: three `keypad serve`
// processes (the built binary) on one PostgreSQL schema behind a real
// HAProxy (round-robin, health-checking /readyz), and the tests that drive
// every flow through the balancer with consecutive steps on different
// instances. HAProxy names the instance that answered in the
// X-Keypad-Instance response header, so every test proves where each
// step ran.
//
// The tests need PostgreSQL (KEYPAD_TEST_POSTGRES) and haproxy; they skip
// without them, and fail under KEYPAD_TEST_STRICT=1.
package cluster
