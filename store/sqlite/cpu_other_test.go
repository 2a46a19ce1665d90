//go:build !unix

package sqlite_test

import "time"

// cpuTime is not measured here: benchmarks report 0 cpu-µs/op.
func cpuTime() time.Duration { return 0 }
