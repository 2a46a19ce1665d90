package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/usercode"
)

// PathDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1).
const PathDeviceAuthorization = "/oauth2/device_authorization"

// PathDeviceVerification is where the hosted pages take the user code
// (RFC 8628 §3.2 verification_uri under the issuer); short, because people
// type it off a television. It is the one statement of this path: the
// pages (package web) serve it and the server and CLI link to it.
const PathDeviceVerification = "/device"

// Defaults and bounds of DeviceConfig (DESIGN.md, security policy).
const (
	DefaultDeviceLifetime     = 10 * time.Minute
	DefaultDeviceInterval     = 5 * time.Second
	DefaultDeviceSlowDownStep = 5 * time.Second
)

// DeviceRanges are the allowed values of DeviceConfig's durations.
type DeviceRanges struct {
	Lifetime, Interval, SlowDownStep DurationRange
}

// DeviceBounds returns the safe range of each device setting (DESIGN.md,
// security policy). It is the one statement of these bounds: Validate
// checks against it, and so does package config, naming its keys.
// Interval and SlowDownStep are whole seconds too.
func DeviceBounds() DeviceRanges {
	return DeviceRanges{
		Lifetime: DurationRange{time.Minute, time.Hour},
		Interval: DurationRange{time.Second, time.Minute},
		// The maximum is RFC 8628 §3.5's own step: a client adds exactly
		// 5 seconds on slow_down, so a server adding more would answer a
		// well-behaved client slow_down for ever.
		SlowDownStep: DurationRange{time.Second, 5 * time.Second},
	}
}

// DefaultDeviceConfig is the device flow's configuration when nothing is
// set, for a server whose issuer is issuer (UserCodeKey stays empty).
// Package config starts from it.
func DefaultDeviceConfig(issuer string) DeviceConfig {
	return DeviceConfig{}.withDefaults(issuer)
}

// userCodeAttempts bounds how often a fresh user code is drawn when the
// store reports one taken. With 34.5 bits and ten-minute codes a second
// draw is already rare; running out means the code space is far too small
// for the load.
const userCodeAttempts = 5

// DeviceConfig configures the device flow. The zero value of every field
// means its default.
type DeviceConfig struct {
	// VerificationURI is where the person enters the code (default
	// <issuer>/device). It is shown on screens, so keep it short; it must
	// be an absolute http(s) URL without query or fragment, since
	// verification_uri_complete appends ?user_code=.
	VerificationURI string
	// Lifetime is how long a device code can be approved and redeemed
	// (default 10m, 1m to 1h): long enough to find a phone and sign in,
	// short enough to keep few codes live for a guesser.
	Lifetime time.Duration
	// Interval is the polling interval handed to devices (default 5s,
	// whole seconds, 1s to 1m); the wire carries whole seconds.
	Interval time.Duration
	// SlowDownStep is added to a code's interval whenever its device polls
	// too early (default 5s, whole seconds, 1s to 5s).
	SlowDownStep time.Duration
	// UserCode is the user-code format (default usercode.DefaultConfig());
	// the hosted pages must be given the same one, or typed codes will not
	// normalise.
	UserCode usercode.Config
	// UserCodeKey keys the hash a user code is stored under
	// (usercode.Hash): at least 32 bytes, stable across restarts and the
	// same on every instance, e.g. Sealer.DeriveKey("device-user-code").
	// The hosted pages must be given the same key. Required.
	UserCodeKey []byte
}

// withDefaults returns c with zero fields set to their defaults.
func (c DeviceConfig) withDefaults(issuer string) DeviceConfig {
	if c.VerificationURI == "" {
		c.VerificationURI = issuer + PathDeviceVerification
	}
	if c.Lifetime == 0 {
		c.Lifetime = DefaultDeviceLifetime
	}
	if c.Interval == 0 {
		c.Interval = DefaultDeviceInterval
	}
	if c.SlowDownStep == 0 {
		c.SlowDownStep = DefaultDeviceSlowDownStep
	}
	if c.UserCode == (usercode.Config{}) {
		c.UserCode = usercode.DefaultConfig()
	}
	return c
}

// Validate reports the first setting out of bounds, saying what is
// accepted; zero fields stand for their defaults and pass.
func (c DeviceConfig) Validate() error {
	if c.VerificationURI != "" {
		u, err := url.Parse(c.VerificationURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("device flow: verification URI %q must be an absolute http(s) URL without query, fragment or user info, e.g. https://auth.example.com/device", c.VerificationURI)
		}
	}
	d := c.withDefaults("")
	b := DeviceBounds()
	switch {
	case !b.Lifetime.Contains(d.Lifetime):
		return fmt.Errorf("device flow: lifetime %s is out of range; use %s to %s", d.Lifetime, b.Lifetime.Min, b.Lifetime.Max)
	case !b.Interval.Contains(d.Interval) || d.Interval%time.Second != 0:
		return fmt.Errorf("device flow: interval %s is out of range; use whole seconds from %s to %s", d.Interval, b.Interval.Min, b.Interval.Max)
	case d.Interval >= d.Lifetime:
		return fmt.Errorf("device flow: interval %s is not shorter than the lifetime %s; a device could never poll in time", d.Interval, d.Lifetime)
	case !b.SlowDownStep.Contains(d.SlowDownStep) || d.SlowDownStep%time.Second != 0:
		return fmt.Errorf("device flow: slow-down step %s is out of range; use whole seconds from %s to %s (RFC 8628 clients add 5s)", d.SlowDownStep, b.SlowDownStep.Min, b.SlowDownStep.Max)
	}
	if err := d.UserCode.Validate(); err != nil {
		return fmt.Errorf("device flow: %w", err)
	}
	return nil
}

// deviceFlow is the device authorization grant (RFC 8628) on one Server:
// the device authorization endpoint here, the polling grant in
// devicecode.go. The hosted pages (package web) approve or deny in
// between, through the store.
type deviceFlow struct {
	s     *Server
	store deviceStore
	cfg   DeviceConfig
	// polls answers too-early polls without the store (devicepolls.go).
	polls *pollMemory
}

// installDeviceFlow turns on the device flow (Config.Device): it serves
// POST /oauth2/device_authorization, accepts grant_type
// urn:ietf:params:oauth:grant-type:device_code at the token endpoint, and
// announces device_authorization_endpoint in the metadata. The pages at
// VerificationURI are served elsewhere (package web).
func (s *Server) installDeviceFlow(cfg DeviceConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := usercode.CheckKey("device flow", cfg.UserCodeKey); err != nil {
		return err
	}
	f := &deviceFlow{s: s, store: s.store, cfg: cfg.withDefaults(s.issuer), polls: newPollMemory()}
	s.handle("POST "+PathDeviceAuthorization, http.HandlerFunc(f.handleAuthorization))
	s.registerGrant(keypad.GrantDeviceCode, GrantFunc(f.grant))
	s.setMetadata("device_authorization_endpoint", s.Endpoint(PathDeviceAuthorization))
	return nil
}

// deviceAuthorizationResponse is the answer of RFC 8628 §3.2.
type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// handleAuthorization is the device authorization endpoint (RFC 8628
// §3.1, §3.2). Public clients (TVs, CLIs) identify themselves by client_id
// alone; confidential ones authenticate as at the token endpoint.
func (f *deviceFlow) handleAuthorization(w http.ResponseWriter, r *http.Request) {
	resp, err := f.authorize(w, r)
	if err != nil {
		f.s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

func (f *deviceFlow) authorize(w http.ResponseWriter, r *http.Request) (*deviceAuthorizationResponse, error) {
	form, err := parseForm(w, r, "resource")
	if err != nil {
		return nil, err
	}
	client, _, err := f.s.authenticateClient(r, form)
	if err != nil {
		return nil, err
	}
	if !client.AllowsGrant(keypad.GrantDeviceCode) {
		return nil, UnauthorizedClient("this client is not registered for the device flow (grant_type '%s')", keypad.GrantDeviceCode)
	}
	scopes, err := deviceScopes(keypad.ParseScope(form.Get("scope")), client.Scopes)
	if err != nil {
		return nil, err
	}
	// RFC 8707 §2: the resources the tokens are for, as at the
	// authorization endpoint; the token request may narrow to one.
	resources, e := f.s.parseResources(form["resource"])
	if e != nil {
		return nil, e
	}
	if e := clientAudiences(client, resources); e != nil {
		return nil, e
	}
	deviceCode, userCode, err := f.create(r.Context(), client, scopes, resources)
	if err != nil {
		return nil, err
	}
	f.s.metrics.Event("device", "started")
	display := f.cfg.UserCode.Format(userCode)
	return &deviceAuthorizationResponse{
		DeviceCode:              deviceCode,
		UserCode:                display,
		VerificationURI:         f.cfg.VerificationURI,
		VerificationURIComplete: f.cfg.VerificationURI + "?user_code=" + url.QueryEscape(display),
		ExpiresIn:               int64(f.cfg.Lifetime / time.Second),
		Interval:                int64(f.cfg.Interval / time.Second),
	}, nil
}

// create stores a new pending authorization and returns its device code
// and canonical user code. Only their hashes reach the store. A taken
// user code (ErrConflict) is drawn again.
func (f *deviceFlow) create(ctx context.Context, client *keypad.Client, scopes, resources []string) (deviceCode, userCode string, err error) {
	now := f.s.now()
	for range userCodeAttempts {
		if deviceCode, err = token.NewSecret(f.s.rand, keypad.PrefixDeviceCode); err != nil {
			return "", "", fmt.Errorf("device authorization: %w", err)
		}
		if userCode, err = f.cfg.UserCode.Generate(f.s.rand); err != nil {
			return "", "", fmt.Errorf("device authorization: %w", err)
		}
		err = f.store.CreateDeviceAuthorization(ctx, &keypad.DeviceAuthorization{
			DeviceCodeHash: keypad.SecretHash(deviceCode),
			UserCodeHash:   usercode.Hash(f.cfg.UserCodeKey, userCode),
			ClientID:       client.ID,
			Scopes:         scopes,
			Resources:      resources,
			Status:         keypad.DevicePending,
			Interval:       f.cfg.Interval,
			CreatedAt:      now,
			ExpiresAt:      now.Add(f.cfg.Lifetime),
		})
		if !errors.Is(err, keypad.ErrConflict) {
			break
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("device authorization: store: %w", err)
	}
	return deviceCode, userCode, nil
}
