package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keypadauth/keypad/qrcode"
)

// RFC 8628 numbers the client lives by.
const (
	// defaultPollInterval is what a client uses when the server names no
	// interval (§3.2).
	defaultPollInterval = 5 * time.Second
	// slowDownStep is what a client adds on slow_down (§3.5).
	slowDownStep = 5 * time.Second
	// maxBackoff caps the exponential backoff after network errors (§3.5).
	maxBackoff = time.Minute
	// maxNetworkFailures in a row end the login.
	maxNetworkFailures = 5
	// maxResponseBytes bounds what is read from the server.
	maxResponseBytes = 1 << 20
)

// deviceLogin is `keypad device-login`: an RFC 8628 client for terminals.
// What it touches outside itself (HTTP, the clock, waiting, whether a
// stream is a terminal) is a field, so tests run the whole flow against a
// real server without waiting.
type deviceLogin struct {
	client     *http.Client
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	isTerminal func(w io.Writer) bool
	// configDir is where --dpop keeps its key (os.UserConfigDir).
	configDir func() (string, error)

	issuer, clientID, scope, qr string
	secretStdin                 bool
	dpop                        bool
	// key is the DPoP key with --dpop: every token request carries a
	// proof of it.
	key *dpopKey
}

// newDeviceLoginCmd returns `keypad device-login` wired to the real world.
func newDeviceLoginCmd() *cobra.Command {
	d := &deviceLogin{
		client:     &http.Client{Timeout: 30 * time.Second},
		now:        time.Now,
		sleep:      sleepContext,
		isTerminal: isTerminal,
		configDir:  os.UserConfigDir,
	}
	return d.command()
}

func (d *deviceLogin) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device-login --issuer URL --client-id ID [--scope S]",
		Short: "Sign in from a terminal with the device flow (RFC 8628)",
		Long: `Sign in from a terminal with the device flow (RFC 8628), the way a TV or a
CLI does: this command asks the server for a code, shows a web address, the
code and a QR code, and waits while you approve on your phone or computer.
It then prints the token response as JSON on standard output; everything
else goes to standard error, so the output can be piped.

The server's endpoints come from <issuer>/.well-known/oauth-authorization-server.
A confidential client gives its secret on the first line of standard input
with --client-secret-stdin.`,
		Example: `  keypad device-login --issuer https://auth.example.com --client-id tv --scope "read"
  keypad device-login --issuer http://localhost:8080 --client-id cli | jq -r .access_token`,
		Args: cobra.NoArgs,
		RunE: d.run,
	}
	f := cmd.Flags()
	f.StringVar(&d.issuer, "issuer", "", "the server's issuer URL, e.g. https://auth.example.com (required)")
	f.StringVar(&d.clientID, "client-id", "", "the client to sign in as (required)")
	f.StringVar(&d.scope, "scope", "", "space-separated scopes to ask for (default: the client's)")
	f.BoolVar(&d.secretStdin, "client-secret-stdin", false, "read a confidential client's secret from the first line of standard input")
	f.BoolVar(&d.dpop, "dpop", false, "bind the tokens to a key of this machine (DPoP, RFC 9449), kept in the user's config directory "+
		"(keypad/dpop/); a refresh must then prove the key, so copied tokens are useless elsewhere")
	f.StringVar(&d.qr, "qr", "auto", "QR code: auto (drawn when standard error is a terminal), unicode, ascii or none")
	return cmd
}

// metadata is the part of RFC 8414 metadata the device flow needs.
type metadata struct {
	Issuer                      string `json:"issuer"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
}

// deviceAuthorization is the answer of RFC 8628 §3.2.
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// oauthError is an error response (RFC 6749 §5.2, RFC 8628 §3.5).
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
	status      int
	nonce       string // DPoP-Nonce of the answer
}

func (e *oauthError) Error() string {
	s := e.Code
	if e.Code == "" {
		s = fmt.Sprintf("HTTP status %d", e.status)
	}
	if e.Description != "" {
		s += ": " + printable(e.Description)
	}
	return s
}

// transient reports whether trying again later may help (RFC 6749 §5.2
// temporarily_unavailable, or a server in trouble).
func (e *oauthError) transient() bool {
	return e.status >= 500 || e.status == http.StatusTooManyRequests || e.Code == "temporarily_unavailable"
}

func (d *deviceLogin) run(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	switch {
	case d.issuer == "":
		return usageError(cmd, "--issuer is required: give the server's URL, e.g. https://auth.example.com")
	case d.clientID == "":
		return usageError(cmd, "--client-id is required: give the ID of a client registered for the device flow")
	case d.qr != "auto" && d.qr != "unicode" && d.qr != "ascii" && d.qr != "none":
		return usageError(cmd, "--qr must be auto, unicode, ascii or none, not %q", d.qr)
	}
	issuer := strings.TrimSuffix(d.issuer, "/")
	if err := checkEndpoint("--issuer", issuer); err != nil {
		return usageError(cmd, "%v", err)
	}
	var secret string
	if d.secretStdin {
		var err error
		if secret, err = readSecretLine(cmd.InOrStdin()); err != nil {
			return err
		}
	}
	md, err := d.discover(ctx, issuer)
	if err != nil {
		return err
	}
	if d.dpop {
		dir, err := d.configDir()
		if err != nil {
			return fmt.Errorf("--dpop: no config directory for the key: %w", err)
		}
		if d.key, err = loadDPoPKey(dpopKeyPath(dir, issuer, d.clientID)); err != nil {
			return fmt.Errorf("--dpop: %w", err)
		}
		fmt.Fprintf(stderr, "Tokens will be bound to the DPoP key in %s.\n", d.key.path)
	}
	form := url.Values{"client_id": {d.clientID}}
	if d.scope != "" {
		form.Set("scope", d.scope)
	}
	var da deviceAuthorization
	if err := d.post(ctx, md.DeviceAuthorizationEndpoint, form, secret, &da); err != nil {
		return fmt.Errorf("ask for a device code: %w", err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return errors.New("ask for a device code: the server's answer lacks device_code, user_code or verification_uri")
	}
	d.show(stderr, &da)
	tok, err := d.wait(ctx, stderr, md.TokenEndpoint, secret, &da)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, tok, "", "  "); err != nil {
		return fmt.Errorf("token response: %w", err)
	}
	out.WriteByte('\n')
	fmt.Fprintln(stderr, "Signed in.")
	_, err = cmd.OutOrStdout().Write(out.Bytes())
	return err
}

// discover reads the server's metadata (RFC 8414 §3) and checks that it
// is the issuer asked for (§3.3) and that it offers the device flow.
func (d *deviceLogin) discover(ctx context.Context, issuer string) (*metadata, error) {
	where := issuer + "/.well-known/oauth-authorization-server"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, fmt.Errorf("discover the server: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discover the server: %w (is --issuer right, and the server running?)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("discover the server: read %s: %w", where, err)
	}
	var md metadata
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &md) != nil {
		return nil, fmt.Errorf("discover the server: %s answered %d and no metadata; check --issuer", where, resp.StatusCode)
	}
	if strings.TrimSuffix(md.Issuer, "/") != issuer {
		return nil, fmt.Errorf("discover the server: its metadata names the issuer %q, not %q; use that as --issuer if you trust it", printable(md.Issuer), issuer)
	}
	if md.DeviceAuthorizationEndpoint == "" {
		return nil, fmt.Errorf("the server at %s does not offer the device flow (its metadata has no device_authorization_endpoint)", issuer)
	}
	for name, u := range map[string]string{"device_authorization_endpoint": md.DeviceAuthorizationEndpoint, "token_endpoint": md.TokenEndpoint} {
		if err := checkEndpoint(name, u); err != nil {
			return nil, fmt.Errorf("discover the server: %w", err)
		}
	}
	return &md, nil
}

// show tells the person where to go and what to type, on stderr: stdout
// is for the tokens.
func (d *deviceLogin) show(w io.Writer, da *deviceAuthorization) {
	fmt.Fprintf(w, "To sign in, open this page on your phone or computer:\n\n    %s\n\nand enter the code:\n\n    %s\n\n",
		printable(da.VerificationURI), printable(da.UserCode))
	target := da.VerificationURIComplete
	if target == "" {
		target = da.VerificationURI
	}
	draw := map[string]func(io.Writer, string) error{"unicode": qrcode.Terminal, "ascii": qrcode.ASCII}[d.qr]
	if d.qr == "auto" && d.isTerminal(w) {
		draw = qrcode.Terminal
	}
	if draw != nil {
		fmt.Fprintln(w, "Or scan this QR code:")
		if err := draw(w, target); err != nil {
			fmt.Fprintf(w, "(cannot draw the QR code: %v)\n", err)
		}
		fmt.Fprintln(w)
	}
	if da.ExpiresIn > 0 {
		fmt.Fprintf(w, "The code expires in %s. Waiting for approval...\n", humanDuration(time.Duration(da.ExpiresIn)*time.Second))
	} else {
		fmt.Fprintln(w, "Waiting for approval...")
	}
}

// wait polls the token endpoint (RFC 8628 §3.4) every interval, adding 5
// seconds on slow_down and backing off exponentially while the server is
// unreachable (§3.5), until tokens come, the person denies, or the code
// expires. It returns the token response as the server sent it.
func (d *deviceLogin) wait(ctx context.Context, stderr io.Writer, tokenURL, secret string, da *deviceAuthorization) (json.RawMessage, error) {
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = defaultPollInterval
	}
	var deadline time.Time
	if da.ExpiresIn > 0 {
		deadline = d.now().Add(time.Duration(da.ExpiresIn) * time.Second)
	}
	expired := errors.New("the code expired before it was approved: run the command again and enter the new code sooner")
	if da.ExpiresIn > 0 {
		expired = fmt.Errorf("the code expired before it was approved: run the command again and enter the new code within %s", humanDuration(time.Duration(da.ExpiresIn)*time.Second))
	}
	form := url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {da.DeviceCode},
		"client_id":   {d.clientID},
	}
	next, failures := interval, 0
	for {
		if err := d.sleep(ctx, next); err != nil {
			return nil, err
		}
		if !deadline.IsZero() && !d.now().Before(deadline) {
			return nil, expired
		}
		var tok json.RawMessage
		err := d.postToken(ctx, tokenURL, form, secret, &tok)
		var oe *oauthError
		switch {
		case err == nil:
			return tok, nil
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
			failures, next = 0, interval
		case errors.As(err, &oe) && oe.Code == "slow_down":
			interval += slowDownStep
			failures, next = 0, interval
		case errors.As(err, &oe) && oe.Code == "access_denied":
			return nil, errors.New("the sign-in was denied: run the command again if that was a mistake")
		case errors.As(err, &oe) && oe.Code == "expired_token":
			return nil, expired
		case errors.As(err, &oe) && !oe.transient():
			return nil, fmt.Errorf("the server refused the login: %w", err)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			// Unreachable or in trouble: back off (RFC 8628 §3.5).
			if failures++; failures >= maxNetworkFailures {
				return nil, fmt.Errorf("giving up after %d failed attempts to reach the server: %w", failures, err)
			}
			next = min(2*next, maxBackoff)
			fmt.Fprintf(stderr, "Cannot reach the server (%v); trying again in %s.\n", err, next)
		}
	}
}

// postToken is post to the token endpoint, with a DPoP proof when there
// is a key, retried once with the server's nonce on use_dpop_nonce (RFC
// 9449 §8).
func (d *deviceLogin) postToken(ctx context.Context, endpoint string, form url.Values, secret string, out any) error {
	if d.key == nil {
		return d.post(ctx, endpoint, form, secret, out)
	}
	for try := 0; ; try++ {
		proof, err := d.key.proof(http.MethodPost, endpoint, d.now())
		if err != nil {
			return err
		}
		err = d.postWith(ctx, endpoint, form, secret, out, proof)
		var oe *oauthError
		if try == 0 && errors.As(err, &oe) && oe.Code == "use_dpop_nonce" && oe.nonce != "" {
			continue
		}
		return err
	}
}

// post sends form to endpoint (with HTTP Basic client authentication when
// there is a secret, RFC 6749 §2.3.1) and decodes a 200 JSON answer into
// out; any other answer becomes an *oauthError.
func (d *deviceLogin) post(ctx context.Context, endpoint string, form url.Values, secret string, out any) error {
	return d.postWith(ctx, endpoint, form, secret, out, "")
}

// postWith is post with a DPoP proof (none when empty); a DPoP-Nonce
// in the answer is kept for the next proof.
func (d *deviceLogin) postWith(ctx context.Context, endpoint string, form url.Values, secret string, out any, proof string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(d.clientID), url.QueryEscape(secret))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	nonce := resp.Header.Get("DPoP-Nonce")
	if d.key != nil && nonce != "" {
		d.key.nonce = nonce
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		oe := &oauthError{status: resp.StatusCode, nonce: nonce}
		if mt == "application/json" {
			json.Unmarshal(body, oe)
		}
		return oe
	}
	if mt != "application/json" {
		return &oauthError{status: resp.StatusCode, Description: "the answer is not JSON"}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &oauthError{status: resp.StatusCode, Description: "the answer is not valid JSON"}
	}
	return nil
}

// checkEndpoint accepts https URLs, and http ones on the loopback
// interface only: tokens and secrets must not cross a network in clear.
func checkEndpoint(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", name, printable(raw))
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s %q uses plain http: use https (http is allowed for localhost only)", name, printable(raw))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readSecretLine reads a client secret from the first line of r.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the client secret from standard input: %w", err)
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if secret == "" {
		return "", errors.New("--client-secret-stdin: standard input held no secret; pipe it in, e.g. `keypad device-login ... --client-secret-stdin < secret.txt`")
	}
	return secret, nil
}

// printable replaces control characters in text from the server, so that
// a hostile server cannot drive the terminal with escape sequences.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (0x7f <= r && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// humanDuration says d the way a person would: "10 minutes", "90 seconds".
func humanDuration(d time.Duration) string {
	unit, n := "second", int64(d/time.Second)
	if d >= time.Minute && d%time.Minute == 0 {
		unit, n = "minute", int64(d/time.Minute)
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isTerminal reports whether w is a terminal, where the QR code can be
// drawn with Unicode blocks and colours.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
