package oauth

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkClientAssertion is BenchmarkClientCredentials/opaque with
// private_key_jwt (ES256, keys inline) instead of a secret: the cost of
// verifying the signature and counting the jti in the store. The
// assertions are signed before the timer starts.
func BenchmarkClientAssertion(b *testing.B) {
	e := newEnv(b, benchConfig).start()
	k := &keyJWTEnv{env: e, keys: sharedPartnerKeys()}
	c := service("kj", "opaque", "read")
	c.Name = "kj"
	c.Options.TokenEndpointAuthMethod = "private_key_jwt"
	c.Options.AssertionKeys = jwks(jwkOf(&k.keys.ec.PublicKey, "e1"))
	e.mustClient(c)
	bodies := make([]string, b.N)
	for i := range bodies {
		bodies[i] = withAssertion(k.es256(k.claims())).Encode() + "&scope=read"
	}
	client := benchClient()
	var next atomic.Int64
	cpu0 := cpuTime()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathToken, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
