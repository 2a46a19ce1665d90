package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/testclock"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/usercode"
)

// fakeUserCodeKey keys the fake server's user code hashes.
var fakeUserCodeKey = []byte(strings.Repeat("u", 32))

// testClock is the injected clock the server and the command share.
type testClock = testclock.Clock

// loginServer is a real oauth.Server over a real SQLite store and real
// HTTP on 127.0.0.1. It notes the user code it hands out. onPoll, when set, runs after the server answered poll
// n (1-based) to the token endpoint, the way a person acting in between
// polls would; fail, when set, makes poll n never reach the server and be
// answered with that status instead.
type loginServer struct {
	t      *testing.T
	st     *sqlstore.Store
	clk    *testClock
	issuer string
	// configDir is the user's config directory for --dpop ("": none).
	configDir string

	mu       sync.Mutex
	polls    int
	userCode string // as the device showed it
	onPoll   func(n int)
	fail     map[int]int
}

func newLoginServer(t *testing.T, device bool) *loginServer {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &loginServer{t: t, st: st, clk: testclock.New(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)), issuer: "http://" + ln.Addr().String()}
	sealer, err := token.NewSealer([]byte(strings.Repeat("k", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := token.NewKeyring(st, sealer, token.KeyringOptions{Now: s.clk.Now, Overlap: time.Hour})
	if err := keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := oauth.Config{Issuer: s.issuer}
	if device {
		cfg.Device = &oauth.DeviceConfig{UserCodeKey: fakeUserCodeKey}
	}
	srv, err := oauth.New(cfg, oauth.Deps{
		Store: st, Issuer: &token.Issuer{Keys: keys, Store: st, Grants: st, Now: s.clk.Now},
		Now: s.clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.intercept(mux)}}
	ts.Start()
	t.Cleanup(ts.Close)
	return s
}

func (s *loginServer) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case oauth.PathDeviceAuthorization:
			// Note the user code as the person reads it off the screen.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var da struct {
				UserCode string `json:"user_code"`
			}
			json.Unmarshal(rec.Body.Bytes(), &da)
			s.mu.Lock()
			s.userCode = da.UserCode
			s.mu.Unlock()
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		case oauth.PathToken:
		default:
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.polls++
		n, status := s.polls, s.fail[s.polls]
		s.mu.Unlock()
		if status != 0 {
			http.Error(w, "unavailable", status)
			return
		}
		next.ServeHTTP(w, r)
		if s.onPoll != nil {
			s.onPoll(n)
		}
	})
}

func (s *loginServer) pollCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// mustClient registers a client; a confidential one gets the returned
// secret.
func (s *loginServer) mustClient(c *keypad.Client) string {
	s.t.Helper()
	var secret string
	if !c.Public {
		secret = keypad.PrefixClientSecret + "devicelogintestsecret"
		c.SecretHash = keypad.SecretHash(secret)
	}
	if err := s.st.CreateClient(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// answer answers the device authorization the command started as the
// hosted pages would once the person typed the code: approve (with a
// grant) or deny. It runs inside the HTTP handler, so it reports
// problems with Error.
func (s *loginServer) answer(approve bool) {
	ctx := context.Background()
	err := func() error {
		s.mu.Lock()
		userCode := s.userCode
		s.mu.Unlock()
		canonical := strings.ReplaceAll(userCode, "-", "")
		d, err := s.st.GetDeviceAuthorizationByUserCode(ctx, usercode.Hash(fakeUserCodeKey, canonical))
		if err != nil {
			return fmt.Errorf("user code %q: %w", userCode, err)
		}
		const grantID = "gr_device_login"
		if approve {
			err := s.st.CreateGrant(ctx, &keypad.Grant{ID: grantID, Subject: "alice", ClientID: d.ClientID,
				Scopes: d.Scopes, Flow: keypad.GrantDeviceCode, CreatedAt: s.clk.Now()})
			if err != nil {
				return err
			}
		}
		_, err = s.st.UpdateDeviceAuthorization(ctx, d.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
			if d.Status != keypad.DevicePending {
				return errors.New("not pending")
			}
			if approve {
				d.Status, d.Subject, d.GrantID = keypad.DeviceApproved, "alice", grantID
			} else {
				d.Status = keypad.DeviceDenied
			}
			return nil
		})
		return err
	}()
	if err != nil {
		s.t.Errorf("answer the device authorization: %v", err)
	}
}

// loginRun is one run of the command.
type loginRun struct {
	stdout, stderr string
	err            error
	sleeps         []time.Duration
}

// runLogin runs device-login against s. advance says how far each sleep
// moves the shared clock (nil: as far as asked, like a real sleep).
func runLogin(t *testing.T, s *loginServer, stdin string, advance func(i int, d time.Duration) time.Duration, args ...string) loginRun {
	t.Helper()
	var run loginRun
	d := &deviceLogin{
		client: &http.Client{Timeout: 10 * time.Second},
		now:    s.clk.Now,
		sleep: func(ctx context.Context, d time.Duration) error {
			run.sleeps = append(run.sleeps, d)
			if advance != nil {
				d = advance(len(run.sleeps), d)
			}
			s.clk.Advance(d)
			if len(run.sleeps) > 50 {
				return errors.New("test: too many polls")
			}
			return ctx.Err()
		},
		isTerminal: func(io.Writer) bool { return false },
		configDir: func() (string, error) {
			if s.configDir == "" {
				return "", errors.New("test: no config directory")
			}
			return s.configDir, nil
		},
	}
	cmd := d.command()
	var stdout, stderr bytes.Buffer
	cmd.SetArgs(append([]string{"--issuer", s.issuer}, args...))
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	run.err = cmd.ExecuteContext(context.Background())
	run.stdout, run.stderr = stdout.String(), stderr.String()
	return run
}

// mustTokens checks that a run succeeded and printed a token response.
func mustTokens(t *testing.T, run loginRun) map[string]any {
	t.Helper()
	if run.err != nil {
		t.Fatalf("device-login failed: %v\nstderr:\n%s", run.err, run.stderr)
	}
	var tok map[string]any
	if err := json.Unmarshal([]byte(run.stdout), &tok); err != nil {
		t.Fatalf("stdout is not JSON (%v):\n%s", err, run.stdout)
	}
	if at, _ := tok["access_token"].(string); at == "" {
		t.Fatalf("no access_token in %s", run.stdout)
	}
	return tok
}

func deviceTV(id string) *keypad.Client {
	return &keypad.Client{ID: id, Public: true, Scopes: []string{"read", "write"},
		GrantTypes: []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken}}
}

var userCodeLine = regexp.MustCompile(`(?m)^    [BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func TestDeviceLogin(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		s.onPoll = func(n int) {
			if n == 1 {
				s.answer(true)
			}
		}
		run := runLogin(t, s, "", nil, "--client-id", "tv", "--scope", "read", "--qr", "ascii")
		tok := mustTokens(t, run)
		if tok["scope"] != "read" || tok["token_type"] != "Bearer" || tok["refresh_token"] == nil {
			t.Errorf("token response = %v, want Bearer, scope read and a refresh token", tok)
		}
		if want := []time.Duration{5 * time.Second, 5 * time.Second}; !slices.Equal(run.sleeps, want) {
			t.Errorf("waits = %v, want %v (the interval before each poll)", run.sleeps, want)
		}
		if !strings.Contains(run.stderr, "    "+s.issuer+"/device\n") || !userCodeLine.MatchString(run.stderr) {
			t.Errorf("stderr does not show the verification URI and a user code:\n%s", run.stderr)
		}
		if !strings.Contains(run.stderr, "##") || strings.Contains(run.stderr, "\x1b[") {
			t.Errorf("--qr ascii: want an ASCII QR code without escapes on stderr:\n%s", run.stderr)
		}
		if strings.Contains(run.stdout, "device") {
			t.Errorf("stdout holds more than the tokens:\n%s", run.stdout)
		}
	})
	t.Run("OKSlowDown", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		s.onPoll = func(n int) {
			if n == 3 {
				s.answer(true)
			}
		}
		// The second wait is cut short to one second, so the second poll
		// is early: the server says slow_down and the command must wait
		// 5 seconds longer from then on.
		advance := func(i int, d time.Duration) time.Duration {
			if i == 2 {
				return time.Second
			}
			return d
		}
		run := runLogin(t, s, "", advance, "--client-id", "tv", "--qr", "none")
		mustTokens(t, run)
		if want := []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second}; !slices.Equal(run.sleeps, want) {
			t.Errorf("waits = %v, want %v", run.sleeps, want)
		}
	})
	t.Run("OKBackoff", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		s.fail = map[int]int{2: http.StatusServiceUnavailable, 3: http.StatusBadGateway}
		s.onPoll = func(n int) {
			if n == 4 {
				s.answer(true)
			}
		}
		run := runLogin(t, s, "", nil, "--client-id", "tv", "--qr", "none")
		mustTokens(t, run)
		want := []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, 5 * time.Second}
		if !slices.Equal(run.sleeps, want) {
			t.Errorf("waits = %v, want %v (doubling while the server fails)", run.sleeps, want)
		}
		if !strings.Contains(run.stderr, "trying again in 20s") {
			t.Errorf("stderr does not say it retries:\n%s", run.stderr)
		}
	})
	t.Run("OKConfidential", func(t *testing.T) {
		s := newLoginServer(t, true)
		secret := s.mustClient(&keypad.Client{ID: "box", Scopes: []string{"read"}, GrantTypes: []string{keypad.GrantDeviceCode}})
		s.onPoll = func(n int) {
			if n == 1 {
				s.answer(true)
			}
		}
		tok := mustTokens(t, runLogin(t, s, secret+"\n", nil, "--client-id", "box", "--client-secret-stdin", "--qr", "none"))
		if _, ok := tok["refresh_token"]; ok {
			t.Errorf("refresh token for a client without the refresh grant: %v", tok)
		}
	})
	t.Run("OKQRTerminal", func(t *testing.T) {
		var d deviceLogin
		d.qr, d.isTerminal = "auto", func(io.Writer) bool { return true }
		var w bytes.Buffer
		d.show(&w, &deviceAuthorization{UserCode: "WDJB-MJHT", VerificationURI: "https://a.example/device",
			VerificationURIComplete: "https://a.example/device?user_code=WDJB-MJHT", ExpiresIn: 600})
		if !strings.Contains(w.String(), "\x1b[30;47m") || !strings.Contains(w.String(), "expires in 10 minutes") {
			t.Errorf("on a terminal: want a Unicode QR code and the expiry:\n%s", w.String())
		}
		d.isTerminal = func(io.Writer) bool { return false }
		w.Reset()
		d.show(&w, &deviceAuthorization{UserCode: "WDJB-MJHT\x1b[2J", VerificationURI: "https://a.example/device"})
		if strings.Contains(w.String(), "QR") || strings.Contains(w.String(), "\x1b") {
			t.Errorf("not a terminal: want no QR code and no escapes:\n%q", w.String())
		}
	})
	t.Run("ErrDenied", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		s.onPoll = func(n int) {
			if n == 1 {
				s.answer(false)
			}
		}
		run := runLogin(t, s, "", nil, "--client-id", "tv", "--qr", "none")
		if run.err == nil || !strings.Contains(run.err.Error(), "denied") || run.stdout != "" {
			t.Errorf("got err %v, stdout %q; want a denial and no output", run.err, run.stdout)
		}
		if got := s.pollCount(); got != 2 {
			t.Errorf("polls = %d, want 2 (stop at access_denied)", got)
		}
	})
	t.Run("ErrExpiredByServer", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		// Only the server's clock runs: the command hears expired_token.
		d := &deviceLogin{client: http.DefaultClient, now: func() time.Time { return time.Time{}.Add(time.Hour) },
			sleep:      func(_ context.Context, d time.Duration) error { s.clk.Advance(4 * time.Minute); return nil },
			isTerminal: func(io.Writer) bool { return false }}
		cmd := d.command()
		var stdout, stderr bytes.Buffer
		cmd.SetArgs([]string{"--issuer", s.issuer, "--client-id", "tv", "--qr", "none"})
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "run the command again") {
			t.Errorf("err = %v, want the expiry and what to do", err)
		}
		if got := s.pollCount(); got != 3 {
			t.Errorf("polls = %d, want 3 (pending at 4m and 8m, expired_token at 12m)", got)
		}
	})
	t.Run("ErrExpiredLocally", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(deviceTV("tv"))
		advance := func(i int, d time.Duration) time.Duration { return 4 * time.Minute }
		run := runLogin(t, s, "", advance, "--client-id", "tv", "--qr", "none")
		if run.err == nil || !strings.Contains(run.err.Error(), "within 10 minutes") {
			t.Errorf("err = %v, want the expiry", run.err)
		}
		if got := s.pollCount(); got != 2 {
			t.Errorf("polls = %d, want 2: no poll once the code is past its expiry", got)
		}
	})
	t.Run("ErrUnauthorizedClient", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.mustClient(&keypad.Client{ID: "web", Public: true, GrantTypes: []string{keypad.GrantAuthorizationCode}})
		run := runLogin(t, s, "", nil, "--client-id", "web")
		if run.err == nil || !strings.Contains(run.err.Error(), "unauthorized_client") {
			t.Errorf("err = %v, want unauthorized_client", run.err)
		}
	})
	t.Run("ErrNoDeviceFlow", func(t *testing.T) {
		s := newLoginServer(t, false)
		run := runLogin(t, s, "", nil, "--client-id", "tv")
		if run.err == nil || !strings.Contains(run.err.Error(), "does not offer the device flow") {
			t.Errorf("err = %v, want a missing device_authorization_endpoint", run.err)
		}
	})
	t.Run("ErrIssuerMismatch", func(t *testing.T) {
		s := newLoginServer(t, true)
		s.issuer = strings.Replace(s.issuer, "127.0.0.1", "localhost", 1)
		run := runLogin(t, s, "", nil, "--client-id", "tv")
		if run.err == nil || !strings.Contains(run.err.Error(), "names the issuer") {
			t.Errorf("err = %v, want an issuer mismatch (RFC 8414 section 3.3)", run.err)
		}
	})
	t.Run("ErrFlags", func(t *testing.T) {
		s := newLoginServer(t, true)
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{}, "--client-id is required"},
			{[]string{"--client-id", "tv", "--qr", "sixel"}, "--qr must be"},
			{[]string{"--client-id", "tv", "--client-secret-stdin"}, "held no secret"},
			{[]string{"--client-id", "tv", "--issuer", "http://auth.example.com"}, "plain http"},
		} {
			run := runLogin(t, s, "", nil, tt.args...)
			if run.err == nil || !strings.Contains(run.err.Error(), tt.want) {
				t.Errorf("%v: err = %v, want %q", tt.args, run.err, tt.want)
			}
		}
	})
}

func TestDeviceLoginRegistered(t *testing.T) {
	c, _, err := NewMain().command().Find([]string{"device-login"})
	if err != nil || c.Name() != "device-login" {
		t.Fatalf("keypad device-login is not a command of the binary: %v", err)
	}
}
