package oauth

import "time"

// IntRange is the allowed values of a whole-number setting, Min to Max
// inclusive.
type IntRange struct{ Min, Max int }

// Contains reports whether v is allowed.
func (r IntRange) Contains(v int) bool { return v >= r.Min && v <= r.Max }

// DurationRange is the allowed values of a duration setting, Min to Max
// inclusive.
type DurationRange struct{ Min, Max time.Duration }

// Contains reports whether v is allowed.
func (r DurationRange) Contains(v time.Duration) bool { return v >= r.Min && v <= r.Max }
