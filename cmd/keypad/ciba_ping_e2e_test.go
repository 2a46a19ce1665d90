package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// CIBA in ping mode through the binary: a client registered with a
// notification endpoint (a real HTTP server in the test) asks for
// Heather; she answers through the link `keypad outbox` shows; keypad's
// ping worker POSTs {"auth_req_id":…} with the client_notification_token
// as a bearer token; the client then fetches its answer with the CIBA
// grant.

// pingReceived is one POST to the test's notification endpoint.
type pingReceived struct {
	Authorization, ContentType string
	AuthReqID                  string
	Extra                      int // members besides auth_req_id
}

// pingEndpoint starts the client's notification endpoint on loopback and
// returns its URL and the pings it receives.
func pingEndpoint(t *testing.T) (string, <-chan pingReceived) {
	t.Helper()
	got := make(chan pingReceived, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		var m map[string]any
		if r.Method != http.MethodPost || json.Unmarshal(b, &m) != nil {
			t.Errorf("notification endpoint: %s with %q, want a POST of JSON", r.Method, b)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id, _ := m["auth_req_id"].(string)
		got <- pingReceived{Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"),
			AuthReqID: id, Extra: len(m) - 1}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cb", got
}

// waitPing returns the next ping; the bound only turns a ping that never
// comes into a failure (the serve's worker looks every 250 ms).
func waitPing(t *testing.T, got <-chan pingReceived) pingReceived {
	t.Helper()
	select {
	case p := <-got:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("no ping reached the notification endpoint within 30s")
		return pingReceived{}
	}
}

func TestCIBAPingEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name, action, wantError string
	}{
		{"OKApprove", "approve", ""},
		{"ErrDeny", "deny", "access_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCIBASetup(t, sqliteBackend.env(t))
			endpoint, pings := pingEndpoint(t)
			c.tv = mustJSON[clientJSON](t, c.e, "client", "create", "--name", "Living Room TV",
				"--grant-types", "ciba", "--scopes", "openid "+usageScope,
				"--backchannel-token-delivery-mode", "ping",
				"--backchannel-client-notification-endpoint", endpoint, "--json")

			// Ping mode needs the client's token for the ping.
			if code, r := c.post(t, "/oauth2/bc-authorize", url.Values{
				"scope": {"openid " + usageScope}, "login_hint": {heatherPh},
			}); code != http.StatusBadRequest || r["error"] != "invalid_request" {
				t.Errorf("bc-authorize in ping mode without client_notification_token: %d %v, want invalid_request", code, r)
			}

			const notify = "tv-notify-8c1f2a"
			code, r := c.post(t, "/oauth2/bc-authorize", url.Values{
				"scope": {"openid " + usageScope}, "login_hint": {heatherPh}, "binding_message": {"7391"},
				"client_notification_token": {notify},
			})
			id, _ := r["auth_req_id"].(string)
			if code != http.StatusOK || id == "" {
				t.Fatalf("bc-authorize: %d %v", code, r)
			}
			link := c.outboxLink(t)
			if code, r := c.poll(t, id); code != http.StatusBadRequest || r["error"] != "authorization_pending" {
				t.Errorf("token request before the answer: %d %v, want authorization_pending", code, r)
			}

			// Heather's "phone" is `keypad outbox`: the link is its own
			// field, in the text and in the JSON.
			text := mustRun(t, c.e, "", "outbox", "--limit", "1")
			if !strings.Contains(text, "\n  Link: "+link+"\n") {
				t.Errorf("keypad outbox printed\n%s\nwant the line \"  Link: %s\"", text, link)
			}
			msgs := mustJSON[[]struct{ Link, Body string }](t, c.e, "outbox", "--limit", "1", "--json")
			if len(msgs) != 1 || msgs[0].Link != link {
				t.Fatalf("keypad outbox --json = %+v, want one message with link %s", msgs, link)
			}
			resp, err := http.PostForm(c.base+"/ciba", url.Values{
				"t": {msgs[0].Link[strings.Index(msgs[0].Link, "t=")+2:]}, "action": {tc.action},
			})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", tc.action, resp.StatusCode)
			}

			p := waitPing(t, pings)
			if p.Authorization != "Bearer "+notify || p.AuthReqID != id || p.Extra != 0 ||
				!strings.HasPrefix(p.ContentType, "application/json") {
				t.Errorf("ping %+v, want Bearer %s, application/json and {\"auth_req_id\":%q} only", p, notify, id)
			}

			code, tok := c.poll(t, id)
			if tc.wantError != "" {
				if code != http.StatusBadRequest || tok["error"] != tc.wantError {
					t.Fatalf("token request after the ping: %d %v, want %s", code, tok, tc.wantError)
				}
			} else {
				if code != http.StatusOK || tok["access_token"] == nil || tok["id_token"] == nil {
					t.Fatalf("token request after the ping: %d %v, want tokens", code, tok)
				}
				in := introspect(t, c.base, c.tv.ClientID, c.tv.ClientSecret, tok["access_token"].(string))
				if !in.Active || in.Sub != c.heatherID {
					t.Errorf("introspection = %+v, want active for Heather", in)
				}
				// The grant is spent: a second fetch gets nothing.
				if code, r := c.poll(t, id); code != http.StatusBadRequest || r["error"] != "invalid_grant" {
					t.Errorf("second token request: %d %v, want invalid_grant", code, r)
				}
			}
			// One ping per answer: the worker marked it done.
			select {
			case extra := <-pings:
				t.Errorf("a second ping arrived: %+v", extra)
			default:
			}
			if logs := c.s.logs.String(); strings.Contains(logs, notify) || strings.Contains(logs, id) {
				t.Error("the log contains the notification token or the auth_req_id")
			}
		})
	}
}
