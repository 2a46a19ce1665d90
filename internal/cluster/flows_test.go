package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	alicePassword = "correct horse battery staple"
	redirectURI   = "http://127.0.0.1:9/cb"
	usageScope    = "usage:read"
	otpGrant      = "urn:keypad:params:oauth:grant-type:otp"
	deviceGrant   = "urn:ietf:params:oauth:grant-type:device_code"
)

// seenWithin bounds polls for a change to reach every instance; a
// deadline for a condition, far above the bound keypad promises.
const seenWithin = 10 * time.Second

// setup registers what the flows need, through the CLI (another process).
type setup struct {
	web, kiosk, rs clientJSON
}

type clientJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func (c *cluster) setup() setup {
	c.t.Helper()
	c.cli("scope", "create", usageScope, "--description", "read your energy usage history")
	c.cli("client", "create", "--name", "TV", "--id", "tv", "--public", "--grant-types", "device_code,refresh_token", "--scopes", usageScope)
	s := setup{
		web: cliJSON[clientJSON](c, "client", "create", "--name", "Web", "--id", "web",
			"--grant-types", "authorization_code,refresh_token", "--redirect-uris", redirectURI, "--scopes", usageScope),
		kiosk: cliJSON[clientJSON](c, "client", "create", "--name", "Kiosk", "--id", "kiosk", "--grant-types", "otp", "--scopes", usageScope),
		rs: cliJSON[clientJSON](c, "client", "create", "--name", "Energy API", "--id", "rs", "--grant-types", "client_credentials",
			"--introspect-any"),
	}
	c.cliIn(alicePassword+"\n", "user", "create", "--username", "alice", "--phone", "+14155550142", "--password-stdin")
	return s
}

// run runs fn as a subtest whose failures stop it.
func (c *cluster) run(t *testing.T, name string, fn func()) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		parent := c.t
		c.t = t
		defer func() { c.t = parent }()
		fn()
	})
}

var consentField = regexp.MustCompile(`name="request" value="([0-9a-f]*)"`)

// signInAndApprove walks a browser from a page that sends it to /login
// through sign-in and consent (approving, if asked), following the pages'
// redirects, and returns the first answer that is neither a redirect
// within keypad nor a consent page; the browser's session (a cookie)
// must work on every instance.
func (c *cluster) signInAndApprove(person *agent, first reply) reply {
	t := c.t
	t.Helper()
	first.must(t, "start", http.StatusSeeOther)
	if loc := first.header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Fatalf("sent to %q, want /login", loc)
	}
	r := person.post("/login", url.Values{"username": {"alice"}, "password": {alicePassword}}).must(t, "login", http.StatusSeeOther)
	approved := false
	for range 10 {
		switch loc := r.header.Get("Location"); {
		case r.status == http.StatusSeeOther && strings.HasPrefix(loc, "/"):
			r = person.get(loc)
		case r.status == http.StatusOK && !approved && consentField.MatchString(r.body):
			approved = true
			r = person.post("/consent", url.Values{"action": {"approve"}, "request": {consentField.FindStringSubmatch(r.body)[1]}})
		default:
			return r // consent given before is remembered: no page then
		}
	}
	t.Fatal("more than ten pages between sign-in and the end")
	return r
}

// device: authorization at one instance, the person's pages at the
// others, polls anywhere; then a refresh.
func (c *cluster) device(s setup) tokens {
	t := c.t
	tv := c.agent("tv", "")
	var tok tokens
	tv.post("/oauth2/token", url.Values{"grant_type": {deviceGrant}, "device_code": {c.approvedDevice()}}).
		must(t, "poll after approval", http.StatusOK).json(t, &tok)
	return tok
}

// approvedDevice starts a device authorization, polls once (pending),
// has the person approve it on the pages and returns the device code;
// each step lands on another instance.
func (c *cluster) approvedDevice() string {
	t := c.t
	t.Helper()
	tv := c.agent("tv", "")
	var da struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	tv.post("/oauth2/device_authorization", url.Values{"scope": {usageScope}}).must(t, "device authorization", http.StatusOK).json(t, &da)
	var pending tokens
	tv.post("/oauth2/token", url.Values{"grant_type": {deviceGrant}, "device_code": {da.DeviceCode}}).
		must(t, "poll before approval", http.StatusBadRequest).json(t, &pending)
	if pending.Error != "authorization_pending" {
		t.Fatalf("poll before approval: %q, want authorization_pending", pending.Error)
	}
	person := c.agent("", "")
	// An approved code is not rate-checked (RFC 8628 §3.5 slows pending
	// polls only), so the next poll may come at once.
	c.signInAndApprove(person, person.post("/device", url.Values{"user_code": {da.UserCode}})).must(t, "approve", http.StatusOK)
	return da.DeviceCode
}

// code walks a person through the authorization code pages (PKCE) on
// different instances and returns the code and its verifier.
func (c *cluster) code() (code, verifier string) {
	t := c.t
	t.Helper()
	verifier = rand.Text() + rand.Text() // 52 characters (RFC 7636 §4.1: 43 to 128)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {redirectURI}, "scope": {usageScope},
		"state": {"st-1"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	person := c.agent("", "")
	r := c.signInAndApprove(person, person.get("/oauth2/authorize?"+q.Encode()))
	loc, err := url.Parse(r.must(t, "back to the client", http.StatusSeeOther).header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-1" {
		t.Fatalf("redirect %v, want a code and the state", loc)
	}
	return loc.Query().Get("code"), verifier
}

// exchangeForm is the token request that redeems code.
func exchangeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}
}

// authCode: authorization code with PKCE, the pages on different
// instances, the exchange and two refresh rotations.
func (c *cluster) authCode(s setup) tokens {
	t := c.t
	code, verifier := c.code()
	web := c.agent(s.web.ClientID, s.web.ClientSecret)
	var tok tokens
	web.post("/oauth2/token", exchangeForm(code, verifier)).must(t, "exchange", http.StatusOK).json(t, &tok)
	for i := range 2 {
		var next tokens
		web.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}).
			must(t, fmt.Sprintf("refresh %d", i+1), http.StatusOK).json(t, &next)
		if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh %d: the refresh token did not rotate", i+1)
		}
		// The rotated-out token is refused everywhere (and, as reuse,
		// ends the family: the next loop iteration would fail).
		tok = next
	}
	return tok
}

// otpCode runs the OTP lookup and send on different instances and reads
// the code from the dev outbox (kept in the database) through the
// balancer; it returns the session and the code.
func (c *cluster) otpCode(s setup) (session, code string) {
	t := c.t
	t.Helper()
	kiosk := c.agent(s.kiosk.ClientID, s.kiosk.ClientSecret)
	var lookup struct {
		Session  string `json:"otp_session"`
		Channels []struct{ ID, Type string }
	}
	kiosk.post("/oauth2/otp/lookup", url.Values{"identifier": {"+1 415 555 0142"}, "identifier_type": {"phone"}, "scope": {usageScope}}).
		must(t, "lookup", http.StatusOK).json(t, &lookup)
	if len(lookup.Channels) == 0 {
		t.Fatalf("lookup found no channel: %+v", lookup)
	}
	kiosk.post("/oauth2/otp/send", url.Values{"otp_session": {lookup.Session}, "channel": {lookup.Channels[0].ID}}).must(t, "send", http.StatusOK)
	reader := c.agent("", "")
	deadline := time.Now().Add(seenWithin)
	for {
		var outbox struct{ Messages []struct{ Code string } }
		reader.get("/dev/outbox.json").must(t, "outbox", http.StatusOK).json(t, &outbox)
		// The newest message first: earlier runs' codes stay in the outbox.
		if len(outbox.Messages) > c.otpSeen {
			c.otpSeen = len(outbox.Messages)
			return lookup.Session, outbox.Messages[0].Code
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new message in the outbox within %v", seenWithin)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition: an instance's queue worker delivers
	}
}

// otp: lookup, send and grant on three instances.
func (c *cluster) otp(s setup) tokens {
	t := c.t
	session, code := c.otpCode(s)
	kiosk := c.agent(s.kiosk.ClientID, s.kiosk.ClientSecret)
	var tok tokens
	kiosk.post("/oauth2/token", url.Values{"grant_type": {otpGrant}, "otp_session": {session}, "otp": {code}}).
		must(t, "otp grant", http.StatusOK).json(t, &tok)
	return tok
}

func TestCluster(t *testing.T) {
	c := start(t, nil)
	s := c.setup()
	rs := c.agent(s.rs.ClientID, s.rs.ClientSecret)
	var issued []string // access tokens answered 2xx: they must stay active
	c.run(t, "Device", func() { issued = append(issued, c.device(s).AccessToken) })
	c.run(t, "AuthorizationCode", func() { issued = append(issued, c.authCode(s).AccessToken) })
	c.run(t, "OTP", func() { issued = append(issued, c.otp(s).AccessToken) })
	c.run(t, "Revocation", func() {
		tok := c.authCode(s)
		if !c.active(rs, tok.AccessToken) {
			t.Fatal("a fresh token is not active")
		}
		web := c.agent(s.web.ClientID, s.web.ClientSecret)
		web.post("/oauth2/revoke", url.Values{"token": {tok.RefreshToken}}).must(c.t, "revoke", http.StatusOK)
		// The next requests, on the two other instances, see it revoked.
		for range 2 {
			var bad tokens
			web.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}).
				must(c.t, "refresh a revoked token", http.StatusBadRequest).json(c.t, &bad)
			if bad.Error != "invalid_grant" {
				c.t.Fatalf("refresh of a revoked token: %q, want invalid_grant", bad.Error)
			}
		}
		for range 3 {
			if c.active(rs, tok.AccessToken) {
				c.t.Fatal("the access token of a revoked grant is still active")
			}
		}
	})
	c.run(t, "KeyRotation", func() {
		before := kidOf(c.t, c.authCode(s).AccessToken)
		c.cli("keys", "rotate")
		// Every instance signs with the new key within the bound: three
		// consecutive tokens (one per instance) carry it.
		start := time.Now()
		fresh := 0
		for fresh < 3 {
			if time.Since(start) > seenWithin {
				c.t.Fatalf("not every instance signs with the new key within %v", seenWithin)
			}
			if kidOf(c.t, c.clientToken(rs)) != before {
				fresh++
			} else {
				fresh = 0
			}
		}
		c.t.Logf("key rotation reached all three instances after %v", time.Since(start).Round(time.Millisecond))
	})
	c.run(t, "Races", func() { c.races(s) })
	c.run(t, "Kill", func() { c.killOne(s, rs, issued) })
}

// TestClusterSerializable runs the flows and the races again on a
// database whose every transaction is SERIALIZABLE (as CockroachDB's and
// YugabyteDB's are): serialization failures are retried or answered 503,
// never a lost or doubled redemption.
func TestClusterSerializable(t *testing.T) {
	c := start(t, url.Values{"default_transaction_isolation": {"serializable"}})
	s := c.setup()
	c.run(t, "Device", func() { c.device(s) })
	c.run(t, "AuthorizationCode", func() { c.authCode(s) })
	c.run(t, "OTP", func() { c.otp(s) })
	c.run(t, "Races", func() { c.races(s) })
}

// clientToken gets a client_credentials access token as rs.
func (c *cluster) clientToken(rs *agent) string {
	c.t.Helper()
	var tok tokens
	rs.post("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}).must(c.t, "client credentials", http.StatusOK).json(c.t, &tok)
	return tok.AccessToken
}

// races redeems the same authorization code, device code, one-time code
// and refresh token from many goroutines at once through the balancer:
// one winner each (at most one for the code and the refresh token, whose
// replays revoke what the winner got). A loser gets
// 400 invalid_grant, or 503 temporarily_unavailable when a SERIALIZABLE
// database kept failing its transaction (nothing was written then).
func (c *cluster) races(s setup) {
	t := c.t
	const n = 12
	rs := c.agent(s.rs.ClientID, s.rs.ClientSecret)
	// race sends n requests at once and returns the answers that won
	// (200); every other answer must be a clean loss.
	race := func(what string, send func(a *agent) reply) []reply {
		replies := make([]reply, n)
		c.concurrently(func() {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { replies[i] = send(c.agent(s.web.ClientID, s.web.ClientSecret)) })
			}
			wg.Wait()
		})
		var wins []reply
		for _, r := range replies {
			switch r.status {
			case http.StatusOK:
				wins = append(wins, r)
			case http.StatusBadRequest, http.StatusServiceUnavailable:
			default:
				t.Errorf("%s: status %d, want 200, 400 or 503: %s", what, r.status, r.body)
			}
		}
		if len(wins) > 1 {
			t.Fatalf("%s: %d winners of %d, want at most one", what, len(wins), n)
		}
		return wins
	}
	for round := range 3 {
		// A code redeemed twice revokes what it issued (RFC 6749 §4.1.2):
		// at most one exchange succeeds, and its tokens end up revoked
		// because the others were replays.
		code, verifier := c.code()
		for _, w := range race(fmt.Sprintf("authorization code, round %d", round), func(a *agent) reply {
			return a.post("/oauth2/token", exchangeForm(code, verifier))
		}) {
			var tok tokens
			w.json(t, &tok)
			if c.active(rs, tok.AccessToken) {
				t.Fatalf("authorization code, round %d: the winner's token is active although the code was replayed", round)
			}
		}
		deviceCode := c.approvedDevice()
		if wins := race(fmt.Sprintf("device code, round %d", round), func(a *agent) reply {
			a.id, a.secret = "tv", ""
			return a.post("/oauth2/token", url.Values{"grant_type": {deviceGrant}, "device_code": {deviceCode}})
		}); len(wins) != 1 {
			t.Fatalf("device code, round %d: %d winners, want exactly one", round, len(wins))
		}
		session, otp := c.otpCode(s)
		if wins := race(fmt.Sprintf("one-time code, round %d", round), func(a *agent) reply {
			a.id, a.secret = s.kiosk.ClientID, s.kiosk.ClientSecret
			return a.post("/oauth2/token", url.Values{"grant_type": {otpGrant}, "otp_session": {session}, "otp": {otp}})
		}); len(wins) != 1 {
			t.Fatalf("one-time code, round %d: %d winners, want exactly one", round, len(wins))
		}
		// A refresh token raced is reuse (RFC 9700 section 4.14.2): the
		// losers revoke the family and the grant, so a winner's tokens end
		// revoked, and a winner that reads the grant after a loser revoked
		// it is refused too (0 winners). Never two.
		tok := c.authCode(s)
		for _, w := range race(fmt.Sprintf("refresh token, round %d", round), func(a *agent) reply {
			return a.post("/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
		}) {
			var won tokens
			w.json(t, &won)
			if c.active(rs, won.AccessToken) {
				t.Fatalf("refresh token, round %d: the winner's token is active although the refresh token was replayed", round)
			}
		}
	}
}

// killOne issues tokens through the balancer while one instance is
// killed with SIGKILL: every token answered 200 (before, during and after)
// is durable, the balancer routes around the dead instance and the
// others keep serving.
func (c *cluster) killOne(s setup, rs *agent, issued []string) {
	t := c.t
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	failures := 0
	c.concurrently(func() {
		for range 4 {
			wg.Go(func() {
				a := c.agent(s.rs.ClientID, s.rs.ClientSecret)
				for {
					select {
					case <-stop:
						return
					default:
					}
					req, _ := http.NewRequest("POST", c.base+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.SetBasicAuth(a.id, a.secret)
					resp, err := a.client.Do(req)
					if err != nil {
						mu.Lock()
						failures++
						mu.Unlock()
						continue
					}
					var tok tokens
					json.NewDecoder(resp.Body).Decode(&tok)
					resp.Body.Close()
					mu.Lock()
					if resp.StatusCode == http.StatusOK {
						issued = append(issued, tok.AccessToken)
					} else {
						failures++
					}
					mu.Unlock()
				}
			})
		}
		// Kill once some tokens went out, mid-stream.
		for {
			mu.Lock()
			n := len(issued)
			mu.Unlock()
			if n > 30 {
				break
			}
			time.Sleep(5 * time.Millisecond) // polling a condition
		}
		c.kill("b")
		// The balancer routes around it: 30 consecutive successes after it
		// noticed (within its health checks' fall time).
		ok := 0
		start := time.Now()
		for ok < 30 {
			if time.Since(start) > seenWithin {
				t.Fatalf("the balancer did not route around the killed instance within %v", seenWithin)
			}
			resp, err := http.Get(c.base + "/readyz")
			if err == nil && resp.StatusCode == http.StatusOK && resp.Header.Get(instanceHeader) != "b" {
				ok++
			} else {
				ok = 0
			}
			if err == nil {
				resp.Body.Close()
			}
		}
		close(stop)
		wg.Wait()
	})
	t.Logf("%d tokens issued around the kill, %d requests failed (in flight on the killed instance)", len(issued), failures)
	// Every token that got a 200 is durable: active on the survivors.
	rs2 := c.agent(s.rs.ClientID, s.rs.ClientSecret)
	c.concurrently(func() {
		for _, tok := range issued {
			if !c.active(rs2, tok) {
				t.Fatalf("a token answered 200 before the kill is not active afterwards")
			}
		}
	})
}
