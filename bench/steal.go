package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTimes is the machine's CPU time so far, in clock ticks, from the
// first line of /proc/stat: all of it, and what the hypervisor took for
// other guests (steal). On a virtual machine whose host is busy, steal
// is time the bench and keypad were ready to run and could not: a tail
// latency in such a window says more about the host than about keypad.
type cpuTimes struct{ total, steal uint64 }

// readCPUTimes returns the times now; zero where /proc/stat is missing.
func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}
	}
	var t cpuTimes
	// user nice system idle iowait irq softirq steal [guest guest_nice],
	// of which guest time is already counted in user.
	for i, v := range f[1:9] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuTimes{}
		}
		t.total += n
		if i == 7 {
			t.steal = n
		}
	}
	return t
}

// stolenSince is the share of the CPU time from t to now that the host
// took, as "12.3 %", or "—" when it is unknown.
func (t cpuTimes) stolenSince(now cpuTimes) string {
	if now.total <= t.total {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(now.steal-t.steal)/float64(now.total-t.total))
}
