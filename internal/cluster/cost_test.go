package cluster

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pgCounter is a TCP proxy in front of PostgreSQL that counts round
// trips: the messages after which a client waits for the server, Sync
// (the end of an extended-protocol exchange) and Query (a simple query).
type pgCounter struct {
	ln    net.Listener
	trips atomic.Int64
}

func newPGCounter(b testing.TB, target string) *pgCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &pgCounter{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, target)
		}
	}()
	b.Cleanup(func() { ln.Close() })
	return p
}

func (p *pgCounter) serve(client net.Conn, target string) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { io.Copy(client, server); client.Close() }()
	// The startup message has no type byte: a length, then the rest.
	var n [4]byte
	if _, err := io.ReadFull(client, n[:]); err != nil {
		return
	}
	size := binary.BigEndian.Uint32(n[:])
	rest := make([]byte, size-4)
	if _, err := io.ReadFull(client, rest); err != nil {
		return
	}
	server.Write(append(n[:], rest...))
	var head [5]byte
	for {
		if _, err := io.ReadFull(client, head[:]); err != nil {
			return
		}
		if head[0] == 'S' || head[0] == 'Q' {
			p.trips.Add(1)
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
		if _, err := io.ReadFull(client, body); err != nil {
			return
		}
		if _, err := server.Write(append(head[:], body...)); err != nil {
			return
		}
	}
}

// proxied returns dsn with its host:port replaced by the counter's.
func (p *pgCounter) proxied(b testing.TB, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// cpuTicks is the user+system CPU time of the cluster's keypad processes,
// in clock ticks (USER_HZ, 100 a second on Linux), from /proc.
func (c *cluster) cpuTicks() int64 {
	var total int64
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cmd := range c.procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if err != nil {
			c.t.Fatalf("read CPU time: %v (the cost benchmark needs Linux /proc)", err)
		}
		// Fields after the command name "(...)": state is field 3; utime
		// and stime are fields 14 and 15.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + s
	}
	return total
}

// BenchmarkClusterCost reports, per request type, the PostgreSQL round
// trips and the keypad CPU per request with 1, 2 and 3 instances behind
// HAProxy. Background work (health checks every 2 s, the OTP queue's
// polls, the janitor) is measured over an idle second first and
// subtracted. Run (bounded by -benchtime):
//
//	KEYPAD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench ClusterCost -benchtime 2000x ./internal/cluster/
func BenchmarkClusterCost(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			var counter *pgCounter
			c := startN(b, options{instances: n, checkInterval: "2s", dbProxy: func(dsn string) string {
				u, err := url.Parse(dsn)
				if err != nil {
					b.Fatal(err)
				}
				counter = newPGCounter(b, u.Host)
				return counter.proxied(b, dsn)
			}})
			c.sequential = false
			s := c.setup()
			rs := c.agent(s.rs.ClientID, s.rs.ClientSecret)
			jwt := c.clientToken(rs)
			web := c.agent(s.web.ClientID, s.web.ClientSecret)
			refresh := c.authCode(s).RefreshToken
			for _, rt := range []struct {
				name string
				do   func()
			}{
				{"token_client_credentials", func() { c.clientToken(rs) }},
				{"introspect_jwt", func() { c.active(rs, jwt) }},
				{"refresh_rotation", func() {
					var tok tokens
					web.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}).
						must(b, "refresh", http.StatusOK).json(b, &tok)
					refresh = tok.RefreshToken
				}},
			} {
				b.Run(rt.name, func(b *testing.B) {
					c.t = b
					idleTrips, idleStart := counter.trips.Load(), time.Now()
					time.Sleep(time.Second) // measuring the idle background, not synchronising
					idleRate := float64(counter.trips.Load()-idleTrips) / time.Since(idleStart).Seconds()
					trips, ticks, start := counter.trips.Load(), c.cpuTicks(), time.Now()
					b.ResetTimer()
					for range b.N {
						rt.do()
					}
					b.StopTimer()
					elapsed := time.Since(start)
					net := float64(counter.trips.Load()-trips) - idleRate*elapsed.Seconds()
					b.ReportMetric(net/float64(b.N), "roundtrips/op")
					b.ReportMetric(float64(c.cpuTicks()-ticks)*10000/float64(b.N), "cpu-µs/op")
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
				})
			}
		})
	}
}
