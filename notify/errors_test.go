package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeliveryErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *DeliveryError
		want string
	}{
		{"Temporary", &DeliveryError{Channel: "sms", Reason: "the SMS provider failed"},
			"notify: sms delivery failed temporarily: the SMS provider failed"},
		{"PermanentWithCode", &DeliveryError{Channel: "sms", Permanent: true, Reason: "the phone number is not valid", Code: "21211"},
			"notify: sms delivery failed permanently: the phone number is not valid (21211)"},
		{"WithDetail", &DeliveryError{Channel: "email", Reason: "x", Code: "535", Detail: "5.7.8 Authentication failed"},
			"notify: email delivery failed temporarily: x (535: 5.7.8 Authentication failed)"},
		{"DetailOnly", &DeliveryError{Channel: "email", Reason: "x", Detail: "eof"},
			"notify: email delivery failed temporarily: x (eof)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeliveryErrorUnwrap(t *testing.T) {
	err := error(&DeliveryError{Channel: "sms", Reason: "late", cause: context.DeadlineExceeded})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is(err, DeadlineExceeded) = false")
	}
	if strings.Contains(err.Error(), "deadline") {
		t.Errorf("Error() = %q shows the cause", err.Error())
	}
}

func TestScrub(t *testing.T) {
	got := scrub("535 user bob pass hunter2hunter2 to +15551234821\r\n  more", "hunter2hunter2", "+15551234821", "", "ab")
	if want := "535 user bob pass [redacted] to [redacted] more"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
	long := scrub(strings.Repeat("é", 400))
	if len(long) > 303 || !strings.HasSuffix(long, "...") {
		t.Errorf("scrub kept %d bytes of a long detail", len(long))
	}
}

func BenchmarkSMS(b *testing.B) {
	story := storyData()
	worst := storyData()
	worst.ClientName = strings.Repeat("Extraordinarily Long Company Name ", 8)
	worst.ScopeDescriptions = make([]string, 40)
	for i := range worst.ScopeDescriptions {
		worst.ScopeDescriptions[i] = "read every detail of your account, for every meter you have ever had"
	}
	worst.ExpiresIn = 10 * time.Minute
	for _, bc := range []struct {
		name string
		d    OTPData
	}{{"Story", story}, {"Worst", worst}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := DefaultTemplates().SMS(bc.d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
