package config

import (
	"strings"
	"testing"
)

// TestPProfNeedsLoopbackMetrics: the profiler is allowed on a loopback
// admin listener (including the default one) and refused, naming the
// key, when metrics_addr is off or reachable from the network.
func TestPProfNeedsLoopbackMetrics(t *testing.T) {
	for m, ok := range map[string]bool{"": true, "127.0.0.1:9090": true, "[::1]:0": true, "localhost:6060": true,
		"0.0.0.0:9090": false, "192.0.2.7:9090": false, ":9090": false, MetricsOff: false} {
		c := Default()
		c.PProf, c.MetricsAddr = true, m
		err := c.Validate()
		if ok && err != nil {
			t.Errorf("pprof with metrics_addr %q: Validate() = %v, want nil", m, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "pprof")) {
			t.Errorf("pprof with metrics_addr %q: Validate() = %v, want an error naming pprof", m, err)
		}
	}
}
