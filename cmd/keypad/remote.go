package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/admin"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// remoteAnnotation marks a command that runs over the admin API with
// --server; the root refuses --server for every other one.
const remoteAnnotation = "keypad-remote"

// remoteFlags adds the flags of the remote mode to the root's.
func remoteFlags(f *pflag.FlagSet) {
	f.String("server", "", "manage the keypad whose admin API is at this URL (https, or http to loopback) instead of the local database (KEYPAD_SERVER)")
	f.String("token", "", "an access token with an admin scope for --server (KEYPAD_ADMIN_TOKEN)")
	f.String("client-id", "", "with --client-secret: a client of --server whose client_credentials token has an admin scope (KEYPAD_ADMIN_CLIENT_ID)")
	f.String("client-secret", "", "the --client-id's secret (KEYPAD_ADMIN_CLIENT_SECRET); the environment keeps it out of ps and the shell history")
	f.String("token-url", "", "token endpoint for --client-id (KEYPAD_ADMIN_TOKEN_URL; default: --server's /oauth2/token)")
}

// setting is a remote-mode flag's value, or its variable's when the flag
// is not given.
func (m *Main) setting(cmd *cobra.Command, flag, env string) string {
	if f := cmd.Flags().Lookup(flag); f != nil && f.Changed {
		return f.Value.String()
	}
	v, _ := m.LookupEnv(env)
	return v
}

// serverURL is --server (or KEYPAD_SERVER), "" in local mode.
func (m *Main) serverURL(cmd *cobra.Command) string {
	return strings.TrimRight(m.setting(cmd, "server", "KEYPAD_SERVER"), "/")
}

// refuseRemote is the root's check: a command that works only on the
// local database says so instead of quietly opening one.
func (m *Main) refuseRemote(cmd *cobra.Command) error {
	if m.serverURL(cmd) == "" || !cmd.Runnable() {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if _, ok := c.Annotations[remoteAnnotation]; ok || noDatabase[c.Name()] && c.Parent() == cmd.Root() {
			return nil
		}
	}
	hint := "run it on a machine that reaches the database, without --server and with KEYPAD_SERVER unset"
	if alt, ok := localOnlyHints[cmd.CommandPath()]; ok {
		hint = alt
	}
	return fmt.Errorf("`%s` works on the local database only, not over the admin API (--server): %s", cmd.CommandPath(), hint)
}

// noDatabase are the root's commands that use no database, so --server
// changes nothing for them.
var noDatabase = map[string]bool{"version": true, "healthcheck": true, "device-login": true, "call": true,
	"help": true, "completion": true}

// localOnlyHints say what to do instead, for the local-only commands
// where there is something better to say.
var localOnlyHints = map[string]string{
	"keypad serve":       "start the server without --server (and with KEYPAD_SERVER unset): --server names a keypad to manage, not one to run",
	"keypad user import": "upload the file to the admin API (POST /admin/v1/imports, docs/admin-api.md), or run the import where the database is reachable",
}

// remoteManager manages a keypad through its admin API.
type remoteManager struct {
	base string
	http *http.Client
	// etags are the versions of the resources read, by path, sent back
	// in If-Match so that a write never overwrites a change made since.
	etags map[string]string
}

// remote returns the admin API client of --server, or nil in local mode.
func (m *Main) remote(cmd *cobra.Command) (*remoteManager, error) {
	base := m.serverURL(cmd)
	if base == "" {
		return nil, nil
	}
	if err := checkRemoteURL("--server", base); err != nil {
		return nil, err
	}
	for _, local := range []string{"db", "config"} {
		if f := cmd.Flags().Lookup(local); f != nil && f.Changed {
			return nil, usageError(cmd, "--%s names the local database's settings, which --server does not use: give one or the other", local)
		}
	}
	ctx := context.WithValue(cmd.Context(), oauth2.HTTPClient, &http.Client{Transport: m.transport()})
	var src oauth2.TokenSource
	if tok := m.setting(cmd, "token", "KEYPAD_ADMIN_TOKEN"); tok != "" {
		src = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
	} else {
		id, secret := m.setting(cmd, "client-id", "KEYPAD_ADMIN_CLIENT_ID"), m.setting(cmd, "client-secret", "KEYPAD_ADMIN_CLIENT_SECRET")
		if id == "" || secret == "" {
			return nil, usageError(cmd, "--server needs credentials: --token (KEYPAD_ADMIN_TOKEN), or --client-id and --client-secret "+
				"(KEYPAD_ADMIN_CLIENT_ID, KEYPAD_ADMIN_CLIENT_SECRET) of a client with an admin scope")
		}
		tokenURL := m.setting(cmd, "token-url", "KEYPAD_ADMIN_TOKEN_URL")
		if tokenURL == "" {
			tokenURL = base + "/oauth2/token"
		}
		if err := checkRemoteURL("--token-url", tokenURL); err != nil {
			return nil, err
		}
		cc := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL}
		src = tokenErrors{cc.TokenSource(ctx), tokenURL}
	}
	return &remoteManager{base: base + strings.TrimSuffix(admin.Prefix, "/"), http: oauth2.NewClient(ctx, src), etags: map[string]string{}}, nil
}

// transport is Main's HTTP transport: Transport, or Go's default.
func (m *Main) transport() http.RoundTripper {
	if m.Transport != nil {
		return m.Transport
	}
	return http.DefaultTransport
}

// checkRemoteURL refuses a URL the token would cross the network in
// clear to: http is for loopback only.
func checkRemoteURL(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not a URL: give https://host[:port]", flag, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("%s %s is plain http to another machine, which would send the admin token in clear: use https:// (http only to 127.0.0.1 or localhost)", flag, raw)
	}
	return fmt.Errorf("%s %q: the scheme must be https (or http to loopback)", flag, raw)
}

// tokenErrors says which step failed when the client credentials are
// refused; oauth2's error carries the server's answer, never the secret.
type tokenErrors struct {
	src oauth2.TokenSource
	url string
}

func (t tokenErrors) Token() (*oauth2.Token, error) {
	tok, err := t.src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("no token endpoint at %s: give --token-url (KEYPAD_ADMIN_TOKEN_URL), the public listener's /oauth2/token, "+
				"when --server is the admin listener", t.url)
		}
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, fmt.Errorf("the token endpoint %s refused the admin client's credentials (--client-id, --client-secret): %s",
				t.url, cmpText(re.ErrorDescription, re.ErrorCode))
		}
		return nil, fmt.Errorf("get an admin token from %s: %w", t.url, err)
	}
	return tok, nil
}

func (r *remoteManager) Close() error { r.http.CloseIdleConnections(); return nil }

// remoteError is the API's problem details, worded for the terminal;
// it matches the keypad error its status stands for.
type remoteError struct {
	status int
	msg    string
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Is(target error) bool {
	switch e.status {
	case http.StatusNotFound:
		return target == keypad.ErrNotFound
	case http.StatusConflict:
		return target == keypad.ErrConflict
	case http.StatusPreconditionFailed:
		return target == keypad.ErrStale
	}
	return false
}

// do sends one request: body as JSON when not nil, If-Match with the
// version read of path for a write, and decodes a 2xx answer into out
// (when not nil). An error answer is a *remoteError.
func (r *remoteManager) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tag := r.etags[strings.SplitN(path, "?", 2)[0]]; tag != "" && method != http.MethodGet {
		req.Header.Set("If-Match", tag)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already, or is the server's
		}
		return fmt.Errorf("%s %s: %w", method, r.base+path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, r.base+path, err)
	}
	if resp.StatusCode >= 300 {
		return problemError(resp, data)
	}
	if tag := resp.Header.Get("ETag"); tag != "" {
		r.etags[strings.SplitN(path, "?", 2)[0]] = tag
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, r.base+path, err)
	}
	return nil
}

// problemError words an error answer: the problem's detail and field
// errors, or for 401 and 403 the bearer error the token got.
func problemError(resp *http.Response, data []byte) error {
	e := &remoteError{status: resp.StatusCode}
	var p admin.Problem
	var bearer struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		json.Unmarshal(data, &bearer)
		e.msg = "the admin API refused the token (401: " + cmpText(bearer.Description, "no token was sent") +
			"): it is invalid or has expired; get a new one, or use --client-id and --client-secret"
	case resp.StatusCode == http.StatusForbidden && json.Unmarshal(data, &bearer) == nil && bearer.Error != "":
		e.msg = "the admin API refused the request (403): " + bearer.Description +
			": give the admin client that scope (keypad client update ID --scopes ...) and get a new token"
	case json.Unmarshal(data, &p) == nil && p.Detail != "":
		e.msg = p.Detail
		if len(p.Errors) > 0 {
			var fields []string
			for _, f := range p.Errors {
				if !strings.HasPrefix(f.Detail, f.Field+":") {
					f.Detail = f.Field + ": " + f.Detail
				}
				fields = append(fields, f.Detail)
			}
			e.msg = strings.Join(fields, "; ")
		}
		if resp.StatusCode == http.StatusPreconditionFailed {
			e.msg = "it changed since this command read it (someone else changed it meanwhile): run the command again"
		}
	default:
		e.msg = fmt.Sprintf("the admin API answered %s %s", resp.Status, strings.TrimSpace(string(data[:min(len(data), 200)])))
	}
	return e
}

func cmpText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// listAll reads every page of a list, decoding each item with item.
func (r *remoteManager) listAll(ctx context.Context, path string, item func(json.RawMessage) error) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := path + sep + "limit=1000"
	for {
		var p admin.Page
		if err := r.do(ctx, http.MethodGet, next, nil, &p); err != nil {
			return err
		}
		for _, it := range p.Items {
			if err := item(it); err != nil {
				return err
			}
		}
		if p.NextCursor == "" {
			return nil
		}
		next = path + sep + "limit=1000&cursor=" + url.QueryEscape(p.NextCursor)
	}
}

// remoteOK marks cmds as commands that run over the admin API too.
func remoteOK(cmds ...*cobra.Command) []*cobra.Command {
	for _, c := range cmds {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[remoteAnnotation] = "yes"
	}
	return cmds
}
