package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// call is `keypad call`: a GET to a resource server with the access token
// `keypad device-login` printed, and, for a DPoP-bound token, a fresh
// proof signed with the key device-login kept for the same issuer and
// client (RFC 9449 §7). What it touches outside itself is a field, so
// tests run it against a real server.
type call struct {
	client    *http.Client
	now       func() time.Time
	configDir func() (string, error)

	issuer, clientID, tokens string
}

func newCallCmd() *cobra.Command {
	c := &call{client: &http.Client{Timeout: 30 * time.Second}, now: time.Now, configDir: os.UserConfigDir}
	return c.command()
}

func (c *call) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call --issuer URL --client-id ID --tokens FILE URL",
		Short: "GET a resource with the tokens device-login printed, proving its DPoP key",
		Long: `GET a resource server's URL with the access token that ` + "`keypad device-login`" + `
printed (its JSON, in FILE, or "-" for standard input), and print the answer's
body on standard output. A DPoP-bound token (token_type DPoP, from
device-login --dpop) is sent as "Authorization: DPoP" with a fresh proof
signed by the key device-login keeps for the same --issuer and --client-id;
a Bearer token is sent as such. An answer other than 2xx is an error.`,
		Example: `  keypad device-login --issuer http://127.0.0.1:8080 --client-id tv-app --dpop > tv.json
  keypad call --issuer http://127.0.0.1:8080 --client-id tv-app --tokens tv.json http://127.0.0.1:8082/api/usage-points`,
		Args: cobra.ExactArgs(1),
		RunE: c.run,
	}
	f := cmd.Flags()
	f.StringVar(&c.issuer, "issuer", "", "the issuer device-login signed in at (required with a DPoP token: it picks the key)")
	f.StringVar(&c.clientID, "client-id", "", "the client device-login signed in as (required with a DPoP token: it picks the key)")
	f.StringVar(&c.tokens, "tokens", "", `FILE with the JSON device-login printed, or "-" for standard input (required)`)
	return cmd
}

func (c *call) run(cmd *cobra.Command, args []string) error {
	target := args[0]
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError(cmd, "%q is not an http(s) URL to call", target)
	}
	if c.tokens == "" {
		return usageError(cmd, `--tokens is required: the file device-login's JSON went to, or "-" for standard input`)
	}
	tok, err := c.readTokens(cmd.InOrStdin())
	if err != nil {
		return err
	}
	var key *dpopKey
	if strings.EqualFold(tok.TokenType, "DPoP") {
		if key, err = c.key(cmd); err != nil {
			return err
		}
	}
	// htu is the URL without query and fragment (RFC 9449 §4.2).
	htu := *u
	htu.RawQuery, htu.Fragment, htu.RawFragment = "", "", ""
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		if key == nil {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		} else {
			proof, err := key.proofFor(http.MethodGet, htu.String(), tok.AccessToken, c.now())
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
			req.Header.Set("DPoP", proof)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			return fmt.Errorf("call %s: %w", target, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("call %s: %w", target, err)
		}
		// RFC 9449 §9: a resource server may ask for its nonce; try once
		// more with it.
		if n := resp.Header.Get("DPoP-Nonce"); key != nil && n != "" && resp.StatusCode == http.StatusUnauthorized && try == 0 {
			key.nonce = n
			continue
		}
		if resp.StatusCode/100 != 2 {
			why := resp.Header.Get("WWW-Authenticate")
			if why == "" {
				why = string(body)
			}
			return fmt.Errorf("%s answered %s: %s", target, resp.Status, printable(why))
		}
		_, err = cmd.OutOrStdout().Write(body)
		return err
	}
}

// callTokens is the part of a token response call needs.
type callTokens struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

func (c *call) readTokens(stdin io.Reader) (*callTokens, error) {
	var b []byte
	var err error
	if c.tokens == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, maxResponseBytes))
	} else {
		b, err = os.ReadFile(c.tokens)
	}
	if err != nil {
		return nil, fmt.Errorf("--tokens: %w", err)
	}
	var t callTokens
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" {
		return nil, fmt.Errorf("--tokens: not the JSON keypad device-login prints (no access_token)")
	}
	return &t, nil
}

// key is device-login's DPoP key for the issuer and client; it is never
// made here, since a new key would prove nothing.
func (c *call) key(cmd *cobra.Command) (*dpopKey, error) {
	if c.issuer == "" || c.clientID == "" {
		return nil, usageError(cmd, "the token is DPoP-bound: give --issuer and --client-id as given to device-login, to pick its key")
	}
	dir, err := c.configDir()
	if err != nil {
		return nil, fmt.Errorf("no config directory for the DPoP key: %w", err)
	}
	path := dpopKeyPath(dir, strings.TrimSuffix(c.issuer, "/"), c.clientID)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no DPoP key for %s and %s at %s: sign in with keypad device-login --dpop with the same --issuer and --client-id", c.issuer, c.clientID, path)
	}
	return loadDPoPKey(path)
}
