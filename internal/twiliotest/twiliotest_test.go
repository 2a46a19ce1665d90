package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	sid   = "AC00000000000000000000000000000009"
	token = "twiliotest-token"
)

// post sends a text to to as a Twilio client does and returns the status
// and the Twilio error code of the answer.
func post(t *testing.T, s *Server, user, to string) (status, code int) {
	t.Helper()
	form := url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {"123456 is your code"}}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Code int    `json:"code"`
		SID  string `json:"sid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusCreated && !strings.HasPrefix(doc.SID, "SM") {
		t.Errorf("message SID %q, want SM…", doc.SID)
	}
	return resp.StatusCode, doc.Code
}

func TestFail(t *testing.T) {
	s := Start(t, Options{AccountSID: sid, AuthToken: token})
	const a, b = "+14155550101", "+14155550102"
	type answer struct{ status, code int }
	check := func(to string, want answer) {
		t.Helper()
		if status, code := post(t, s, sid, to); (answer{status, code}) != want {
			t.Errorf("text to %s: got %d %d, want %d %d", to, status, code, want.status, want.code)
		}
	}
	ok, invalid, down := answer{201, 0}, answer{400, 21211}, answer{503, 20429}

	check(a, ok)
	s.Fail(http.StatusBadRequest, 21211, a)
	check(a, invalid)
	check(b, ok)
	s.Fail(http.StatusServiceUnavailable, 20429)
	check(a, invalid) // a number's own failure comes first
	check(b, down)
	s.Fail(0, 0, a)
	check(a, down)
	s.Fail(0, 0)
	check(a, ok)
	check(b, ok)
	if status, code := post(t, s, "AC-someone-else", a); status != http.StatusUnauthorized || code != 20003 {
		t.Errorf("wrong account: got %d %d, want 401 20003", status, code)
	}

	if got, want := len(s.Requests()), 8; got != want {
		t.Errorf("requests = %d, want %d (the refused login is not one)", got, want)
	}
	acc := s.Accepted()
	if len(acc) != 4 || s.Last(t).Get("To") != b {
		t.Errorf("accepted %v, want 4 texts, the last to %s", acc, b)
	}
}
