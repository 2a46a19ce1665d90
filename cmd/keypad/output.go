package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/keypadauth/keypad/config"
)

// printJSON writes v as indented JSON: stable for scripts, readable for
// people.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ttlText shows a per-client lifetime; zero means the server's default.
func ttlText(d time.Duration) string {
	if d == 0 {
		return "server default"
	}
	return config.FormatDuration(d)
}

// timeText shows a time in UTC, or "-" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
