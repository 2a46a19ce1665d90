package kiosk

import (
	"net/http"
	"testing"
	"time"
)

func TestDecodeError(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		code, ask string
		retry     time.Duration
		remaining int
	}{
		{"OKAskForField", 400, nil, `{"error":"ambiguous_identifier","ask_for":"account"}`, "ambiguous_identifier", "account", 0, -1},
		{"OKAskForList", 400, nil, `{"error":"ambiguous_identifier","identifier_types":["address","email","phone"]}`, "ambiguous_identifier", "email", 0, -1},
		{"OKAskForWords", 400, nil, `{"error":"ambiguous_identifier","error_description":"several people match: ask for their phone number or account"}`, "ambiguous_identifier", "phone", 0, -1},
		{"OKAskForDefault", 400, nil, `{"error":"ambiguous_identifier"}`, "ambiguous_identifier", "account", 0, -1},
		{"OKAttempts", 400, nil, `{"error":"invalid_grant","attempts_remaining":2}`, "invalid_grant", "", 0, 2},
		{"OKRetryAfterSeconds", 429, http.Header{"Retry-After": {"17"}}, `{"error":"slow_down"}`, "slow_down", "", 17 * time.Second, -1},
		{"OKRetryAfterDate", 429, http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, `{}`, "server_error", "", time.Minute, -1},
		{"ErrNotJSON", 502, nil, `<html>bad gateway</html>`, "server_error", "", 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: tt.header}
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			e := decodeError(resp, []byte(tt.body), now)
			if e.Code != tt.code || e.AskFor != tt.ask || e.RetryAfter != tt.retry || e.AttemptsRemaining != tt.remaining {
				t.Errorf("got code %q ask %q retry %v remaining %d; want %q %q %v %d",
					e.Code, e.AskFor, e.RetryAfter, e.AttemptsRemaining, tt.code, tt.ask, tt.retry, tt.remaining)
			}
		})
	}
}
