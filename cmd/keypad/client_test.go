package main

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

func TestClientCreateOptions(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		box := cliJSON[clientJSON](t, c, "client", "create", "--name", "Box", "--public", "--grant-types", "device_code,refresh_token",
			"--refresh-no-expiry", "--refresh-idle-ttl", "365d", "--always-consent", "--json")
		if !box.RefreshNoExpiry || box.RefreshIdleTTL != 365*86400 || !box.AlwaysConsent || box.AllowPlainPKCE || box.ExplicitUnknownIdentifier {
			t.Errorf("created %+v, want refresh_no_expiry, refresh_idle_ttl 365d, always_consent and nothing else", box)
		}
		text := strings.Join(strings.Fields(c.mustRun(t, "", "client", "get", box.ClientID)), " ")
		for _, want := range []string{"refresh_ttl: never expires", "options: always-consent refresh-idle-ttl=365d refresh-no-expiry"} {
			if !strings.Contains(text, want) {
				t.Errorf("client get printed\n%s\nwant it to contain %q", text, want)
			}
		}
		_, err := c.run(t, "", "client", "create", "--name", "Box", "--public", "--grant-types", "device_code",
			"--refresh-no-expiry", "--refresh-ttl", "90d")
		if err == nil || !strings.Contains(err.Error(), "--refresh-no-expiry and --refresh-ttl 90d contradict each other") {
			t.Errorf("create with --refresh-no-expiry and --refresh-ttl = %v, want the contradiction named", err)
		}
	})
}

func TestClientUpdate(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		c.mustRun(t, "", "client", "create", "--name", "TV", "--id", "tv", "--public",
			"--grant-types", "device_code,refresh_token", "--scopes", "read", "--refresh-ttl", "90d")
		before := cliJSON[clientJSON](t, c, "client", "get", "tv", "--json")

		t.Run("OK", func(t *testing.T) {
			got := cliJSON[clientJSON](t, c, "client", "update", "tv", "--scopes", "read write", "--always-consent",
				"--refresh-idle-ttl", "30d", "--json")
			want := before
			want.Scopes, want.AlwaysConsent, want.RefreshIdleTTL, want.UpdatedAt = []string{"read", "write"}, true, 30*86400, got.UpdatedAt
			if !jsonEqual(t, got, want) {
				t.Errorf("after update:\n%+v\nwant\n%+v", got, want)
			}
		})
		t.Run("OKSwitchOff", func(t *testing.T) {
			got := cliJSON[clientJSON](t, c, "client", "update", "tv", "--always-consent=false", "--grant-types", "device", "--json")
			if got.AlwaysConsent || got.RefreshIdleTTL != 30*86400 || !slices.Equal(got.GrantTypes, []string{keypad.GrantDeviceCode}) {
				t.Errorf("after update: %+v; want always_consent off, the idle lifetime kept, only the device grant", got)
			}
		})
		t.Run("OKHintStyle", func(t *testing.T) {
			if before.HintStyle != keypad.HintStyleMasked {
				t.Errorf("new client hint_style %q, want masked", before.HintStyle)
			}
			got := cliJSON[clientJSON](t, c, "client", "update", "tv", "--hint-style", "none", "--json")
			if got.HintStyle != keypad.HintStyleNone {
				t.Errorf("after --hint-style none: hint_style %q", got.HintStyle)
			}
			if text := c.mustRun(t, "", "client", "get", "tv"); !strings.Contains(text, "hint-style=none") {
				t.Errorf("client get printed\n%s\nwant hint-style=none among the options", text)
			}
			if got := cliJSON[clientJSON](t, c, "client", "update", "tv", "--hint-style", "masked", "--json"); got.HintStyle != keypad.HintStyleMasked {
				t.Errorf("after --hint-style masked: hint_style %q", got.HintStyle)
			}
		})
		t.Run("OKDefaultLifetime", func(t *testing.T) {
			got := cliJSON[clientJSON](t, c, "client", "update", "tv", "--refresh-ttl", "default", "--json")
			if got.RefreshTTL != 0 || got.RefreshIdleTTL != 30*86400 {
				t.Errorf("after --refresh-ttl default: refresh_ttl %d, idle %d; want 0 (the server's) and the idle kept", got.RefreshTTL, got.RefreshIdleTTL)
			}
		})
		errs := []struct {
			name string
			args []string
			want string
		}{
			{"ErrNothing", []string{"tv", "--json"}, "nothing to change"},
			{"ErrNotFound", []string{"nope", "--name", "x"}, `no client "nope": see ` + "`keypad client list`"},
			{"ErrPublic", []string{"tv", "--public"}, "unknown flag: --public"},
			{"ErrInvalid", []string{"tv", "--refresh-ttl", "7d"}, "--refresh-idle-ttl 30d is not shorter than --refresh-ttl 7d"},
			{"ErrHintStyle", []string{"tv", "--hint-style", "digits"}, `--hint-style "digits": use masked`},
			{"ErrClientCredentials", []string{"tv", "--grant-types", "client_credentials"}, "--public clients cannot use client_credentials"},
		}
		for _, tt := range errs {
			t.Run(tt.name, func(t *testing.T) {
				stored := c.mustRun(t, "", "client", "get", "tv", "--json")
				_, err := c.run(t, "", append([]string{"client", "update"}, tt.args...)...)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("client update %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, tt.want)
				}
				if after := c.mustRun(t, "", "client", "get", "tv", "--json"); after != stored {
					t.Errorf("a rejected update changed the client:\n%s\nwas\n%s", after, stored)
				}
			})
		}
	})
}

// TestClientTokenLifetimes: what the CLI accepts is what the server
// issues, and only opaque access tokens may live long.
func TestClientTokenLifetimes(t *testing.T) {
	inModes(t, func(t *testing.T, c cli) {
		meter := cliJSON[clientJSON](t, c, "client", "create", "--name", "Meter", "--id", "meter", "--grant-types", "client_credentials",
			"--token-format", "opaque", "--access-ttl", "3650d", "--json")
		svc := cliJSON[clientJSON](t, c, "client", "create", "--name", "Svc", "--id", "svc", "--grant-types", "client_credentials",
			"--access-ttl", "1d", "--json")
		_, err := c.run(t, "", "client", "create", "--name", "x", "--grant-types", "client_credentials", "--access-ttl", "2d")
		if err == nil || !strings.Contains(err.Error(), "only opaque ones (--token-format opaque)") {
			t.Errorf("a JWT client with --access-ttl 2d = %v, want the opaque hint", err)
		}
		s := c.srv
		expiresIn := func(id, secret string) float64 {
			t.Helper()
			code, body := postForm(t, s.srv.URL()+"/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
			var r struct {
				ExpiresIn float64 `json:"expires_in"`
			}
			if err := json.Unmarshal(body, &r); code != 200 || err != nil {
				t.Fatalf("token for %s: %d %s", id, code, body)
			}
			return r.ExpiresIn
		}
		if got, want := expiresIn("meter", meter.ClientSecret), float64(3650*86400); got != want {
			t.Errorf("opaque client: expires_in %v, want %v", got, want)
		}
		if got, want := expiresIn("svc", svc.ClientSecret), float64(86400); got != want {
			t.Errorf("JWT client: expires_in %v, want %v", got, want)
		}
		// An update keeps the secret and reaches the running server (another
		// process's client cache) within the change bound.
		c.mustRun(t, "", "client", "update", "svc", "--token-format", "opaque", "--access-ttl", "365d")
		eventually(t, "updated lifetime", func() bool { return expiresIn("svc", svc.ClientSecret) == float64(365*86400) })
	})
}

// jsonEqual compares two values by their JSON.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
