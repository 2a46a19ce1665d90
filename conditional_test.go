package keypad

import (
	"testing"
	"time"
)

func TestNextUpdatedAt(t *testing.T) {
	prev := time.Date(2026, 12, 1, 9, 0, 0, 123456000, time.UTC)
	for name, c := range map[string]struct{ now, want time.Time }{
		"Later":       {prev.Add(time.Second), prev.Add(time.Second)},
		"SameInstant": {prev, prev.Add(time.Microsecond)},
		"ClockBehind": {prev.Add(-time.Hour), prev.Add(time.Microsecond)},
		"SubMicro":    {prev.Add(500 * time.Nanosecond), prev.Add(time.Microsecond)},
		"Truncated":   {prev.Add(2*time.Microsecond + 700), prev.Add(2 * time.Microsecond)},
	} {
		t.Run(name, func(t *testing.T) {
			if got := NextUpdatedAt(prev, c.now); !got.Equal(c.want) {
				t.Errorf("NextUpdatedAt(%v, %v) = %v, want %v", prev, c.now, got, c.want)
			}
		})
	}
}
