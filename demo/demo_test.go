package demo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/notify"

	"github.com/keypadauth/keypad/examples/energy"
)

// startDemo runs a demo on 127.0.0.1:0 ports in a test directory and
// shuts it down with the test.
func startDemo(t *testing.T, now time.Time) *Demo {
	t.Helper()
	d, err := Start(context.Background(), Config{
		Dir: t.TempDir(), Addr: "127.0.0.1:0", KioskAddr: "127.0.0.1:0", EnergyAddr: "127.0.0.1:0",
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve() }()
	t.Cleanup(func() {
		if err := d.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return d
}

// call posts a form to keypad as the kiosk (client_secret_basic) and
// decodes the JSON answer.
func call(t *testing.T, d *Demo, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.KeypadURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(KioskClientID, d.Seeded.KioskSecret)
	return do(t, req)
}

func get(t *testing.T, u, bearer string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s %s answered %d, not JSON: %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return resp.StatusCode, v
}

// TestDemoOTP is Heather's kiosk visit at the protocol level, without a
// browser: the kiosk's seeded credentials work for the OTP flow, the code
// arrives in the outbox, and the energy API answers the token with her
// own seeded usage (cmd/keypad's TestDemo walks the same in Chromium).
func TestDemoOTP(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	d := startDemo(t, now)
	if d.UsageEnd != now {
		t.Errorf("UsageEnd = %s, want the start time %s", d.UsageEnd, now)
	}

	t.Run("ErrAmbiguous", func(t *testing.T) {
		code, v := call(t, d, "/oauth2/otp/lookup", url.Values{"identifier": {SharedAddress}, "scope": {ScopeUsage}})
		if code != http.StatusBadRequest || v["error"] != "ambiguous_identifier" {
			t.Errorf("lookup of %q = %d %v, want ambiguous_identifier", SharedAddress, code, v)
		}
	})

	code, v := call(t, d, "/oauth2/otp/lookup", url.Values{"identifier": {"123 Main Street"}, "scope": {ScopeUsage}})
	if code != http.StatusOK {
		t.Fatalf("lookup: %d %v", code, v)
	}
	session, _ := v["otp_session"].(string)
	var sms string
	for _, c := range v["channels"].([]any) {
		ch := c.(map[string]any)
		if ch["type"] == "sms" && ch["hint"] == "(•••) •••-4821" {
			sms, _ = ch["id"].(string)
		}
	}
	if sms == "" {
		t.Fatalf("lookup channels = %v, want a text to (•••) •••-4821", v["channels"])
	}
	if code, v := call(t, d, "/oauth2/otp/send", url.Values{"otp_session": {session}, "channel": {sms}}); code != http.StatusOK {
		t.Fatalf("send: %d %v", code, v)
	}
	// The send only queued the text; wait for keypad's worker.
	if _, err := d.Keypad.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatalf("deliver the OTP queue: %v", err)
	}
	code, box := get(t, d.PhoneURL()+".json", "")
	if code != http.StatusOK {
		t.Fatalf("outbox: %d %v", code, box)
	}
	msgs, _ := box["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d messages, want Heather's text", len(msgs))
	}
	msg := msgs[0].(map[string]any)
	body, _ := msg["body"].(string)
	otp, _ := msg["code"].(string)
	if msg["to"] != "+15415554821" || !strings.Contains(body, "Bright Audits read your energy usage history (12 months)") || otp == "" {
		t.Fatalf("the text = %v, want Heather's code from Bright Audits for her usage history", msg)
	}
	code, tok := call(t, d, "/oauth2/token", url.Values{
		"grant_type": {"urn:keypad:params:oauth:grant-type:otp"}, "otp_session": {session}, "otp": {otp},
	})
	access, _ := tok["access_token"].(string)
	if code != http.StatusOK || access == "" {
		t.Fatalf("token: %d %v", code, tok)
	}

	// The energy API knows her as account 100200300 and serves exactly
	// the usage GenerateUsage makes for it.
	want := energy.GenerateUsage(DefaultSeed, Heather.Account, UsageMonths, now).Months()
	code, usage := get(t, d.EnergyURL+"/api/usage-points/"+energy.UsagePointID(Heather.Account)+"/monthly", access)
	if code != http.StatusOK {
		t.Fatalf("energy API: %d %v", code, usage)
	}
	months, _ := usage["months"].([]any)
	if len(months) != len(want) {
		t.Fatalf("energy API serves %d months, want %d", len(months), len(want))
	}
	for i, m := range months {
		if got := int64(m.(map[string]any)["wh"].(float64)); got != want[i].Wh {
			t.Errorf("month %d: %d Wh, want %d", i, got, want[i].Wh)
		}
	}
	other := energy.UsagePointID(Sharers[0].Account)
	if code, _ := get(t, d.EnergyURL+"/api/usage-points/"+other+"/monthly", access); code == http.StatusOK {
		t.Errorf("Heather's token reads another customer's usage point")
	}
}

// TestDemoOTPSpanish: Heather's neighbour Dana prefers Spanish, so the
// code the kiosk has sent her arrives in Spanish, in one GSM-7 segment.
func TestDemoOTPSpanish(t *testing.T) {
	d := startDemo(t, time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
	dana := Sharers[0]
	code, v := call(t, d, "/oauth2/otp/lookup", url.Values{"identifier": {dana.Account}, "scope": {ScopeUsage}})
	if code != http.StatusOK {
		t.Fatalf("lookup: %d %v", code, v)
	}
	session, _ := v["otp_session"].(string)
	var sms string
	for _, c := range v["channels"].([]any) {
		if ch := c.(map[string]any); ch["type"] == "sms" {
			sms, _ = ch["id"].(string)
		}
	}
	if code, v := call(t, d, "/oauth2/otp/send", url.Values{"otp_session": {session}, "channel": {sms}}); code != http.StatusOK {
		t.Fatalf("send: %d %v", code, v)
	}
	if _, err := d.Keypad.OAuth().DeliverOTPQueue(context.Background()); err != nil {
		t.Fatalf("deliver the OTP queue: %v", err)
	}
	_, box := get(t, d.PhoneURL()+".json", "")
	msgs, _ := box["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("outbox holds %d messages, want Dana's text", len(msgs))
	}
	body, _ := msgs[0].(map[string]any)["body"].(string)
	if !strings.Contains(body, " es su codigo para que Bright Audits pueda ver su historial de consumo") || !strings.Contains(body, "Vence en 10 minutos.") {
		t.Errorf("Dana's text %q, want it in Spanish", body)
	}
	if c := notify.CountSMS(body); c.Encoding != "GSM-7" || c.Segments != 1 {
		t.Errorf("Dana's text is %s in %d segments, want one GSM-7 segment", c.Encoding, c.Segments)
	}
}

func TestStartPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(context.Background(), Config{
		Dir: t.TempDir(), Addr: "127.0.0.1:0", KioskAddr: "127.0.0.1:0", EnergyAddr: ln.Addr().String(),
	})
	var le *ListenError
	if !errors.As(err, &le) || le.Program != "energy" || le.Addr != ln.Addr().String() {
		t.Fatalf("Start with the energy port taken = %v, want a ListenError for energy", err)
	}
}
