package notify

import (
	"strings"
	"testing"
	"time"
)

func TestCIBAMessageSMS(t *testing.T) {
	link := "https://auth.example.com/ciba/" + strings.Repeat("A", 22)
	tests := []struct {
		name string
		d    CIBAData
		want []string
	}{
		{"OK", CIBAData{ClientName: "Bright Audits", ScopeDescriptions: []string{"read your energy usage history (12 months)"},
			BindingMessage: "4821", Link: link, ExpiresIn: 10 * time.Minute},
			[]string{"Bright Audits", "energy usage", "4821", link}},
		{"ShortKeepsExpiry", CIBAData{ClientName: "Kiosk", ScopeDescriptions: []string{"read your bills"},
			BindingMessage: "4821", Link: link, ExpiresIn: 10 * time.Minute},
			[]string{"Kiosk asks to read your bills. Code 4821. Approve or deny: " + link, "10 minutes", "not you?"}},
		{"LongShortened", CIBAData{ClientName: strings.Repeat("Very Long Client Name ", 10),
			ScopeDescriptions: []string{strings.Repeat("read everything you have ", 10), "b", "c"},
			BindingMessage:    "ABCD-1234-WXYZ", Link: link, ExpiresIn: 10 * time.Minute},
			[]string{"Very Long", "read", "ABCD-1234-WXYZ", link, "2 more permissions"}},
		{"Unicode", CIBAData{ClientName: "Café “Bright”", ScopeDescriptions: []string{"read your bills"},
			Link: link, ExpiresIn: time.Minute}, []string{"Café \"Bright\"", link}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CIBAMessage(ChannelSMS, "+15555554821", tt.d)
			if err != nil {
				t.Fatal(err)
			}
			n, ok := GSM7Length(m.Text)
			if !ok || n > 160 {
				t.Errorf("sms %q is %d septets (GSM-7 %t), want one segment", m.Text, n, ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("sms %q lacks %q", m.Text, w)
				}
			}
		})
	}
	t.Run("ErrLinkTooLong", func(t *testing.T) {
		_, err := CIBAMessage(ChannelSMS, "+15555554821", CIBAData{ClientName: "X", Link: "https://" + strings.Repeat("a", 170), ExpiresIn: time.Minute})
		if err == nil {
			t.Fatal("a link longer than a segment rendered")
		}
	})
}

func TestCIBAMessageEmail(t *testing.T) {
	m, err := CIBAMessage(ChannelEmail, "h@example.com", CIBAData{ClientName: "Bright <Audits>",
		ScopeDescriptions: []string{"read your usage"}, BindingMessage: "4821", Link: "https://a.example/ciba/x", ExpiresIn: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Bright <Audits>", "read your usage", "4821", "https://a.example/ciba/x"} {
		if !strings.Contains(m.Text, w) {
			t.Errorf("text %q lacks %q", m.Text, w)
		}
	}
	if strings.Contains(m.HTML, "<Audits>") || !strings.Contains(m.HTML, "Bright &lt;Audits&gt;") {
		t.Errorf("html does not escape the client name: %s", m.HTML)
	}
	if _, err := CIBAMessage(ChannelEmail, "h@example.com", CIBAData{ClientName: "X", Link: "javascript:x", ExpiresIn: time.Minute}); err == nil {
		t.Error("a non-http link rendered")
	}
}
