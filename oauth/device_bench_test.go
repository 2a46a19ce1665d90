package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/usercode"
)

// BenchmarkDevicePoll measures the load that dominates a device fleet:
// devices polling codes nobody has approved yet. Many distinct pending
// codes are polled over real HTTP from parallel goroutines that respect no
// interval (the clock stands still), so every poll is a slow_down. The
// codes start as a flood leaves them, their interval at its one-minute
// cap, so the benchmark measures the steady state: the first poll of a
// code reads it, the rest are answered from the instance's memory
// (before that, each such poll was a locked read-modify-write).
//
//	go test ./oauth -run '^$' -bench DevicePoll -benchtime 3s
//
// polls/s is the figure to watch.
func BenchmarkDevicePoll(b *testing.B) {
	const codes = 1000
	e := newDeviceEnv(b, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	ctx := context.Background()
	bodies := make([]string, codes)
	for i := range bodies {
		// Straight into the store: the benchmark is about polling, not
		// about the device authorization endpoint.
		dc := fmt.Sprintf("%sbench%06d", keypad.PrefixDeviceCode, i)
		err := e.st.CreateDeviceAuthorization(ctx, &keypad.DeviceAuthorization{
			DeviceCodeHash: keypad.SecretHash(dc), UserCodeHash: usercode.Hash(testUserCodeKey, fmt.Sprintf("U%07d", i)),
			ClientID: "tv", Scopes: []string{"read"}, Status: keypad.DevicePending,
			Interval: time.Minute, LastPolledAt: e.clk.Now(), CreatedAt: e.clk.Now(), ExpiresAt: e.clk.Now().Add(time.Hour),
		})
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}, "device_code": {dc}}.Encode()
	}
	c := benchClient()
	defer c.CloseIdleConnections()
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)%codes]
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathToken, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var r struct {
				Error string `json:"error"`
			}
			err = json.NewDecoder(resp.Body).Decode(&r)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || (r.Error != CodeSlowDown && r.Error != CodeAuthorizationPending) {
				b.Errorf("poll answered %d %q (%v), want slow_down or authorization_pending", resp.StatusCode, r.Error, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "polls/s")
}
