package identifier

import "testing"

func TestMaskPhone(t *testing.T) {
	tests := []struct{ e164, want string }{
		{"+14155554821", "(•••) •••-4821"},
		{"+16135550199", "(•••) •••-0199"},
		{"+447911124821", "+44 •••• ••4821"},
		{"+4915123454821", "+49 ••••• ••4821"},
		{"+33612344821", "+33 ••• ••4821"},
		{"+4930901820", "+49 •• ••1820"},
		{"+3545511234", "+354 •••••34"}, // 7-digit number: only 2 digits shown
		{"4155554821", "•••-4821"},      // not E.164
		{"", "•••-"},
	}
	for _, tt := range tests {
		got := MaskPhone(tt.e164)
		if got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.e164, got, tt.want)
		}
		if !hintPhone.MatchString(got) {
			t.Errorf("MaskPhone(%q) = %q does not match the phone hint shape", tt.e164, got)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"heather@example.com", "h•••@e•••.com"},
		{"h@e.io", "h•••@e•••.io"},
		{"heather.smith@mail.example.co.uk", "h•••@m•••.uk"},
		{"josé@bücher.de", "j•••@b•••.de"},
		{"émile@example.fr", "é•••@e•••.fr"},
	}
	for _, tt := range tests {
		got := MaskEmail(tt.addr)
		if got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.addr, got, tt.want)
		}
		if !hintEmail.MatchString(got) {
			t.Errorf("MaskEmail(%q) = %q does not match the email hint shape", tt.addr, got)
		}
	}
	for _, bad := range []string{"", "heather", "@example.com", "heather@localhost"} {
		if got := MaskEmail(bad); got == "" || got == bad {
			t.Errorf("MaskEmail(%q) = %q, want a mask that hides it", bad, got)
		}
	}
}
