// Package energy is the demo's resource server: a utility's energy-usage
// API in the shape of Green Button Connect My Data (NAESB ESPI), serving
// usage points, hourly interval readings and monthly summaries as JSON.
//
// It is an ordinary OAuth resource server that knows keypad only over
// HTTP, exactly as a third party would: it discovers keypad's metadata
// (RFC 8414), verifies JWT access tokens (RFC 9068) against the published
// JWKS, refreshing the key set when a token names an unknown kid, and
// introspects opaque tokens (RFC 7662) with its own client credentials.
// Every answer is about the token's subject only; errors follow RFC 6750.
//
// The usage data is synthetic but plausible and deterministic: the same
// seed and customer key always give the same readings (see GenerateUsage),
// so the demo's end-to-end test can assert the numbers the kiosk shows.
package energy
