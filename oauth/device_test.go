package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/usercode"
)

// tv is a public device-flow client (a television, a CLI) that may also
// refresh.
func tv(id string, scopes ...string) *keypad.Client {
	return &keypad.Client{ID: id, Public: true, Scopes: scopes,
		GrantTypes: []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken}}
}

// testUserCodeKey is the key the tests hash device user codes under.
var testUserCodeKey = []byte(strings.Repeat("u", 32))

// keyed gives cfg the test user code key.
func keyed(cfg DeviceConfig) DeviceConfig {
	cfg.UserCodeKey = testUserCodeKey
	return cfg
}

// newDeviceEnv is a running server with the device flow enabled.
func newDeviceEnv(t testing.TB, cfg DeviceConfig) *env {
	t.Helper()
	e := newEnv(t)
	dcfg := keyed(cfg)
	return e.mustRebuild(func(c *Config, _ *Deps) { c.Device = &dcfg }).start()
}

// deviceCodes is what a device keeps from the device authorization
// response.
type deviceCodes struct {
	device, user string
}

// deviceAuth asks for a device authorization as clientID (with secret when
// it is confidential).
func (e *env) deviceAuth(clientID, secret, scope string) response {
	e.t.Helper()
	form := url.Values{}
	if scope != "" {
		form.Set("scope", scope)
	}
	if secret != "" {
		return e.post(PathDeviceAuthorization, form, basic(clientID, secret))
	}
	form.Set("client_id", clientID)
	return e.post(PathDeviceAuthorization, form, nil)
}

func (e *env) mustDeviceAuth(clientID, secret, scope string) deviceCodes {
	e.t.Helper()
	r := e.deviceAuth(clientID, secret, scope)
	dc, _ := r.body["device_code"].(string)
	uc, _ := r.body["user_code"].(string)
	if r.status != http.StatusOK || dc == "" || uc == "" {
		e.t.Fatalf("device authorization for %s: %d %s", clientID, r.status, r.raw)
	}
	return deviceCodes{device: dc, user: uc}
}

// record reads the stored authorization of a device code.
func (e *env) record(c deviceCodes) *keypad.DeviceAuthorization {
	e.t.Helper()
	d, err := e.st.GetDeviceAuthorization(context.Background(), keypad.SecretHash(c.device))
	if err != nil {
		e.t.Fatalf("get device authorization: %v", err)
	}
	return d
}

// answer does what the hosted pages do when the person approves
// (approve=true) or denies: look the authorization up by the typed user
// code and answer it through oauth's Actions, as web's consent page does.
// It returns the grant ID ("" on denial).
func answer(t testing.TB, e *env, userCode, subject string, approve bool) string {
	t.Helper()
	id, err := tryAnswer(e, userCode, subject, approve)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tryAnswer is answer for goroutines other than the test's own.
func tryAnswer(e *env, userCode, subject string, approve bool) (string, error) {
	ctx := context.Background()
	canonical, err := usercode.DefaultConfig().Normalize(userCode)
	if err != nil {
		return "", fmt.Errorf("normalize %q: %w", userCode, err)
	}
	d, err := e.st.GetDeviceAuthorizationByUserCode(ctx, usercode.Hash(testUserCodeKey, canonical))
	if err != nil {
		return "", fmt.Errorf("look up user code: %w", err)
	}
	a := e.srv.Actions()
	if !approve {
		if err := a.DenyDevice(ctx, d.DeviceCodeHash); err != nil {
			return "", fmt.Errorf("deny device authorization: %w", err)
		}
		return "", nil
	}
	g, err := a.ApproveDevice(ctx, d.DeviceCodeHash, subject)
	if err != nil {
		return "", fmt.Errorf("approve device authorization: %w", err)
	}
	grantID := g.ID
	return grantID, nil
}

// flowEvents reads the flow-event counter.
func flowEvents(t testing.TB, e *env, event string) float64 {
	t.Helper()
	var m dto.Metric
	if err := e.metrics.FlowEvents.WithLabelValues("device", event).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

var displayCode = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestDeviceAuthorization(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read", "write", "device:{id}:control"))
	secret := e.mustClient(&keypad.Client{ID: "box", Scopes: []string{"read"}, GrantTypes: []string{keypad.GrantDeviceCode}})
	e.mustClient(&keypad.Client{ID: "web", Public: true, Scopes: []string{"read"}, GrantTypes: []string{keypad.GrantAuthorizationCode}})

	t.Run("OKPublic", func(t *testing.T) {
		before := flowEvents(t, e, "started")
		r := e.deviceAuth("tv", "", "read")
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
			t.Errorf("caching headers: Cache-Control %q, Pragma %q; want no-store, no-cache", r.header.Get("Cache-Control"), r.header.Get("Pragma"))
		}
		dc, _ := r.body["device_code"].(string)
		uc, _ := r.body["user_code"].(string)
		if !strings.HasPrefix(dc, keypad.PrefixDeviceCode) || len(dc) != len(keypad.PrefixDeviceCode)+43 {
			t.Errorf("device_code = %q, want kp_dc_ and 256 bits in base64url", dc)
		}
		if !displayCode.MatchString(uc) {
			t.Errorf("user_code = %q, want XXXX-XXXX from the default charset", uc)
		}
		want := map[string]any{
			"verification_uri":          testIssuer + "/device",
			"verification_uri_complete": testIssuer + "/device?user_code=" + uc,
			"expires_in":                float64(600),
			"interval":                  float64(5),
		}
		for k, v := range want {
			if r.body[k] != v {
				t.Errorf("%s = %v, want %v", k, r.body[k], v)
			}
		}
		d := e.record(deviceCodes{device: dc})
		canonical := strings.ReplaceAll(uc, "-", "")
		now := e.clk.Now()
		if !slices.Equal(d.UserCodeHash, usercode.Hash(testUserCodeKey, canonical)) {
			t.Error("stored user code hash is not the keyed hash of the canonical user code")
		}
		if slices.Equal(d.UserCodeHash, keypad.SecretHash(canonical)) {
			// About 35 bits: a leaked database would give it up at once.
			t.Error("the user code is stored under an unkeyed hash")
		}
		if d.ClientID != "tv" || d.Status != keypad.DevicePending || !slices.Equal(d.Scopes, []string{"read"}) ||
			d.Interval != 5*time.Second || !d.CreatedAt.Equal(now) || !d.ExpiresAt.Equal(now.Add(10*time.Minute)) ||
			!d.LastPolledAt.IsZero() || d.Subject != "" || d.GrantID != "" {
			t.Errorf("stored authorization = %+v", d)
		}
		if got := flowEvents(t, e, "started"); got != before+1 {
			t.Errorf("started events = %v, want %v", got, before+1)
		}
	})
	t.Run("OKDistinctCodes", func(t *testing.T) {
		a, b := e.mustDeviceAuth("tv", "", ""), e.mustDeviceAuth("tv", "", "")
		if a.device == b.device || a.user == b.user {
			t.Errorf("two authorizations share a code: %+v, %+v", a, b)
		}
	})
	t.Run("OKDefaultScopes", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "")
		if got, want := e.record(c).Scopes, []string{"read", "write"}; !slices.Equal(got, want) {
			t.Errorf("scopes = %v, want the client's literal scopes %v", got, want)
		}
	})
	t.Run("OKScopePatternBound", func(t *testing.T) {
		c := e.mustDeviceAuth("tv", "", "device:abc123:control read")
		if got, want := e.record(c).Scopes, []string{"device:abc123:control", "read"}; !slices.Equal(got, want) {
			t.Errorf("scopes = %v, want %v", got, want)
		}
	})
	t.Run("OKConfidential", func(t *testing.T) {
		c := e.mustDeviceAuth("box", secret, "read")
		if got := e.record(c).ClientID; got != "box" {
			t.Errorf("client = %q, want box", got)
		}
	})
	t.Run("OKConfidentialSecretPost", func(t *testing.T) {
		form := url.Values{"client_id": {"box"}, "client_secret": {secret}}
		if r := e.post(PathDeviceAuthorization, form, nil); r.status != http.StatusOK {
			t.Errorf("client_secret_post: %d %s", r.status, r.raw)
		}
	})
	t.Run("ErrConfidentialWithoutSecret", func(t *testing.T) {
		wantError(t, e.deviceAuth("box", "", ""), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		wantError(t, e.deviceAuth("box", secret+"x", ""), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrUnknownClient", func(t *testing.T) {
		wantError(t, e.deviceAuth("nobody", "", ""), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrNoClientID", func(t *testing.T) {
		wantError(t, e.post(PathDeviceAuthorization, url.Values{"scope": {"read"}}, nil), http.StatusUnauthorized, CodeInvalidClient)
	})
	t.Run("ErrUnauthorizedClient", func(t *testing.T) {
		wantError(t, e.deviceAuth("web", "", ""), http.StatusBadRequest, CodeUnauthorizedClient)
	})
	for name, scope := range map[string]string{
		"ErrInvalidScope":          "read admin",
		"ErrScopePatternItself":    "device:{id}:control",
		"ErrScopePatternNoValue":   "device::control",
		"ErrScopePatternTwoValues": "device:a:b:control",
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, e.deviceAuth("tv", "", scope), http.StatusBadRequest, CodeInvalidScope)
		})
	}
	t.Run("ErrFormContentType", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+PathDeviceAuthorization, strings.NewReader(`{"client_id":"tv"}`))
		req.Header.Set("Content-Type", "application/json")
		wantError(t, e.do(req), http.StatusBadRequest, CodeInvalidRequest)
	})
	t.Run("ErrWrongMethod", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+PathDeviceAuthorization, nil)
		if r := e.do(req); r.status != http.StatusMethodNotAllowed {
			t.Errorf("GET = %d, want 405", r.status)
		}
	})
}

func TestDeviceAuthorizationConfig(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{
		VerificationURI: "https://kp.example/d", Lifetime: 30 * time.Minute, Interval: 2 * time.Second,
		UserCode: usercode.Config{Charset: "0123456789", Length: 10, GroupSize: 5},
	})
	e.mustClient(tv("tv", "read"))
	r := e.deviceAuth("tv", "", "")
	uc, _ := r.body["user_code"].(string)
	if r.status != http.StatusOK || !regexp.MustCompile(`^\d{5}-\d{5}$`).MatchString(uc) {
		t.Fatalf("got %d %s, want a 10-digit code in groups of 5", r.status, r.raw)
	}
	want := map[string]any{
		"verification_uri":          "https://kp.example/d",
		"verification_uri_complete": "https://kp.example/d?user_code=" + uc,
		"expires_in":                float64(1800),
		"interval":                  float64(2),
	}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
}

// conflictStore reports the first n device authorizations as taken, as a
// store does when a drawn user code is already live.
type conflictStore struct {
	keypad.Store
	n     int32
	tries atomic.Int32
}

func (c *conflictStore) CreateDeviceAuthorization(ctx context.Context, d *keypad.DeviceAuthorization) error {
	if c.tries.Add(1) <= c.n {
		return keypad.ErrConflict
	}
	return c.Store.CreateDeviceAuthorization(ctx, d)
}

func TestDeviceAuthorizationUserCodeTaken(t *testing.T) {
	for _, tt := range []struct {
		name      string
		conflicts int32
		status    int
	}{
		{"OKRetried", userCodeAttempts - 1, http.StatusOK},
		{"ErrExhausted", userCodeAttempts, http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.mustClient(tv("tv", "read"))
			cs := &conflictStore{Store: e.st, n: tt.conflicts}
			dcfg := keyed(DeviceConfig{})
			srv, err := New(Config{Issuer: testIssuer, Device: &dcfg}, Deps{Store: cs, Issuer: e.issuer, Now: e.clk.Now, Logger: e.srv.log})
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			srv.Register(mux)
			e.ts = httptest.NewServer(mux)
			defer e.ts.Close()
			r := e.deviceAuth("tv", "", "")
			if r.status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.status, r.raw, tt.status)
			}
			if got := cs.tries.Load(); got != min(tt.conflicts+1, userCodeAttempts) {
				t.Errorf("store asked %d times, want %d", got, min(tt.conflicts+1, userCodeAttempts))
			}
			if tt.status == http.StatusOK {
				dc := r.body["device_code"].(string)
				if got := e.record(deviceCodes{device: dc}); got.Status != keypad.DevicePending {
					t.Errorf("stored status %q, want pending", got.Status)
				}
			}
		})
	}
}

func TestDeviceFlowMetadata(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	resp, err := http.Get(e.ts.URL + PathASMetadata)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	decodeJSON(t, resp, &m)
	if got, want := m["device_authorization_endpoint"], testIssuer+PathDeviceAuthorization; got != want {
		t.Errorf("device_authorization_endpoint = %v, want %v", got, want)
	}
	if got := stringList(m["grant_types_supported"]); !slices.Contains(got, keypad.GrantDeviceCode) {
		t.Errorf("grant_types_supported = %v, want it to list %s", got, keypad.GrantDeviceCode)
	}
}

func TestDeviceConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  DeviceConfig
		want string // "" means valid; else a fragment of the error
	}{
		{"OKZero", DeviceConfig{}, ""},
		{"OKBounds", DeviceConfig{VerificationURI: "http://localhost:8080/device", Lifetime: time.Hour, Interval: time.Minute, SlowDownStep: time.Second}, ""},
		{"OKShortest", DeviceConfig{Lifetime: time.Minute, Interval: time.Second, SlowDownStep: 5 * time.Second}, ""},
		{"ErrURIRelative", DeviceConfig{VerificationURI: "/device"}, "verification URI"},
		{"ErrURIQuery", DeviceConfig{VerificationURI: "https://a.example/device?x=1"}, "verification URI"},
		{"ErrURIFragment", DeviceConfig{VerificationURI: "https://a.example/device#x"}, "verification URI"},
		{"ErrURIScheme", DeviceConfig{VerificationURI: "ftp://a.example/device"}, "verification URI"},
		{"ErrLifetimeShort", DeviceConfig{Lifetime: 59 * time.Second}, "lifetime"},
		{"ErrLifetimeLong", DeviceConfig{Lifetime: 2 * time.Hour}, "lifetime"},
		{"ErrLifetimeNegative", DeviceConfig{Lifetime: -time.Minute}, "lifetime"},
		{"ErrIntervalFraction", DeviceConfig{Interval: 1500 * time.Millisecond}, "interval"},
		{"ErrIntervalLong", DeviceConfig{Interval: 2 * time.Minute}, "interval"},
		{"ErrIntervalNegative", DeviceConfig{Interval: -time.Second}, "interval"},
		{"ErrIntervalNotBelowLifetime", DeviceConfig{Lifetime: time.Minute, Interval: time.Minute}, "interval"},
		{"ErrSlowDownStepLarge", DeviceConfig{SlowDownStep: 10 * time.Second}, "slow-down"},
		{"ErrSlowDownStepFraction", DeviceConfig{SlowDownStep: 2500 * time.Millisecond}, "slow-down"},
		{"ErrUserCodeWeak", DeviceConfig{UserCode: usercode.Config{Charset: usercode.DefaultCharset, Length: 6}}, "bits"},
		{"ErrUserCodeCharset", DeviceConfig{UserCode: usercode.Config{Charset: "abc", Length: 20}}, "charset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			}
		})
	}
	t.Run("OKOneRouteEach", func(t *testing.T) {
		e := newEnv(t)
		dcfg := keyed(DeviceConfig{})
		e.mustRebuild(func(c *Config, _ *Deps) { c.Device = &dcfg })
		e.start() // one route each: no panic
	})
	t.Run("ErrEnable", func(t *testing.T) {
		e := newEnv(t)
		dcfg := keyed(DeviceConfig{Interval: time.Hour})
		err := e.rebuild(func(c *Config, _ *Deps) { c.Device = &dcfg })
		if err == nil {
			t.Fatal("New accepted a device interval of an hour")
		}
		var fe *FlowError
		if !errors.As(err, &fe) || fe.Flow != "Device" {
			t.Errorf("New = %v, want a FlowError of the Device flow", err)
		}
		if slices.Contains(e.srv.grantTypes(), keypad.GrantDeviceCode) {
			t.Error("a refused configuration still registered the grant")
		}
	})
	t.Run("ErrNoUserCodeKey", func(t *testing.T) {
		e := newEnv(t)
		err := e.rebuild(func(c *Config, _ *Deps) { c.Device = &DeviceConfig{UserCodeKey: []byte("short")} })
		if err == nil || !strings.Contains(err.Error(), "user code key") {
			t.Fatalf("New with a 5-byte device user code key = %v, want an error about the user code key", err)
		}
	})
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, scope string
		want           bool
	}{
		{"device:{id}:control", "device:abc123:control", true},
		{"device:{id}:control", "device:a.b_c-d:control", true},
		{"device:{id}:control", "device::control", false},
		{"device:{id}:control", "device:a:b:control", false},
		{"device:{id}:control", "device:abc:controller", false},
		{"device:{id}:control", "devices:abc:control", false},
		{"device:{id}", "device:abc", true},
		{"device:{id}", "device:abc:x", false},
		{"{id}:read", "abc:read", true},
		{"device:{id", "device:abc", false},
		{"a:{x}:{y}", "a:1:2", true},
		{"a:{x}:{y}", "a:1:", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.scope); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.scope, got, tt.want)
		}
	}
}
