package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// formHeader is the header of every token request the bench sends.
func formHeader(clientID, secret string) http.Header {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if secret != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret))))
	}
	return h
}

// tokenTarget is client_credentials for a confidential client with
// client_secret_basic: one scope, 200 expected.
func tokenTarget(base, clientID, secret string) *target {
	body := []byte("grant_type=client_credentials&scope=read")
	return &target{method: http.MethodPost, url: base + "/oauth2/token",
		body: func(uint64) []byte { return body }, header: formHeader(clientID, secret), status: http.StatusOK}
}

// deviceTarget polls the pending device codes round robin as the public
// client clientID: every answer is 400 (authorization_pending or
// slow_down), as it is for a fleet of devices whose people have not yet
// signed in.
func deviceTarget(base, clientID string, codes []string) *target {
	bodies := make([][]byte, len(codes))
	for i, c := range codes {
		bodies[i] = []byte(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			"client_id": {clientID}, "device_code": {c}}.Encode())
	}
	return &target{method: http.MethodPost, url: base + "/oauth2/token",
		body:   func(i uint64) []byte { return bodies[i%uint64(len(bodies))] },
		header: formHeader(clientID, ""), status: http.StatusBadRequest}
}

// helloTarget is the baseline's request.
func helloTarget(base string) *target {
	body := []byte("grant_type=client_credentials&scope=read")
	return &target{method: http.MethodPost, url: base + "/oauth2/token",
		body: func(uint64) []byte { return body }, header: formHeader("x", "y"), status: http.StatusOK}
}

// startDevices starts n device authorizations for clientID and returns
// their device codes.
func startDevices(base, clientID string, n int) ([]string, error) {
	c := newClient(1)
	defer c.CloseIdleConnections()
	codes := make([]string, n)
	for i := range codes {
		resp, err := c.Post(base+"/oauth2/device_authorization", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"client_id": {clientID}, "scope": {"read"}}.Encode()))
		if err != nil {
			return nil, err
		}
		var d struct {
			DeviceCode string `json:"device_code"`
		}
		err = json.NewDecoder(resp.Body).Decode(&d)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || d.DeviceCode == "" {
			return nil, fmt.Errorf("device authorization: status %d, %v", resp.StatusCode, err)
		}
		codes[i] = d.DeviceCode
	}
	return codes, nil
}

// deployment is one running keypad with the clients and device codes
// the workloads use.
type deployment struct {
	store string // "sqlite" or "postgres"
	admin string // keypad's admin listener (http://127.0.0.1:port), when served with pprof
	env   *keypadEnv
	proc  *process
	jwt   *target
	opq   *target
	poll  *target
}

// deploy migrates the store, registers the clients, starts keypad (with
// the profiler on its admin listener if pprof) and starts devices device
// authorizations.
func deploy(store string, env *keypadEnv, devices int, pprof bool) (*deployment, error) {
	if _, err := env.run("migrate"); err != nil {
		return nil, err
	}
	jwtID, jwtSecret, err := env.client("--name", "bench jwt", "--grant-types", "client_credentials", "--scopes", "read", "--token-format", "jwt")
	if err != nil {
		return nil, err
	}
	opqID, opqSecret, err := env.client("--name", "bench opaque", "--grant-types", "client_credentials", "--scopes", "read", "--token-format", "opaque")
	if err != nil {
		return nil, err
	}
	tvID, _, err := env.client("--name", "bench tv", "--public", "--grant-types", "device_code", "--scopes", "read")
	if err != nil {
		return nil, err
	}
	var admin string
	var serveArgs []string
	if pprof {
		if admin, err = freeAddr(); err != nil {
			return nil, err
		}
		serveArgs = []string{"--pprof", "--metrics-addr", admin}
	}
	p, err := env.serve(serveArgs...)
	if err != nil {
		return nil, err
	}
	codes, err := startDevices(p.base, tvID, devices)
	if err != nil {
		p.stop()
		return nil, err
	}
	if admin != "" {
		admin = "http://" + admin
	}
	return &deployment{store: store, admin: admin, env: env, proc: p,
		jwt:  tokenTarget(p.base, jwtID, jwtSecret),
		opq:  tokenTarget(p.base, opqID, opqSecret),
		poll: deviceTarget(p.base, tvID, codes),
	}, nil
}

// stop stops keypad and drops the deployment's data.
func (d *deployment) stop() error {
	err := d.proc.stop()
	if cerr := d.env.close(); err == nil {
		err = cerr
	}
	return err
}
