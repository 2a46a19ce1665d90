package notify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func storyData() OTPData {
	return OTPData{
		ClientName:        "Bright Audits",
		ScopeDescriptions: []string{"read your energy usage history (12 months)"},
		Code:              "482193",
		ExpiresIn:         10 * time.Minute,
		Purpose:           "token",
	}
}

// mustFitOneSegment fails unless sms is one GSM-7 segment.
func mustFitOneSegment(t *testing.T, sms string) {
	t.Helper()
	n, ok := GSM7Length(sms)
	if !ok {
		t.Fatalf("sms %q is not GSM-7", sms)
	}
	if n > 160 {
		t.Fatalf("sms %q is %d septets, want <= 160", sms, n)
	}
}

func TestSMSStory(t *testing.T) {
	got, err := DefaultTemplates().SMS(storyData())
	if err != nil {
		t.Fatal(err)
	}
	want := "482193 is your code to let Bright Audits read your energy usage history (12 months). Expires in 10 minutes. Didn't ask? Ignore this."
	if got != want {
		t.Errorf("sms:\n got %q\nwant %q", got, want)
	}
	mustFitOneSegment(t, got)
}

func TestSMSLogin(t *testing.T) {
	d := storyData()
	d.Purpose = "login"
	d.ClientName = "Green Utility"
	d.ExpiresIn = time.Hour
	got, err := DefaultTemplates().SMS(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "482193 is your code to sign in to Green Utility. Expires in 1 hour. Didn't ask? Ignore this."; got != want {
		t.Errorf("sms:\n got %q\nwant %q", got, want)
	}
}

func TestSMSShortening(t *testing.T) {
	long := strings.Repeat("Extraordinarily Long Company Name ", 8)
	scope := func(i int) string {
		return fmt.Sprintf("read your meter readings for meter number %d at full resolution", i)
	}
	tests := []struct {
		name   string
		client string
		scopes []string
		want   string
	}{
		{
			name:   "TwoScopesFit",
			client: "Bright Audits",
			scopes: []string{"read your energy usage history (12 months)", "see your address"},
			want:   "482193 is your code to let Bright Audits read your energy usage history (12 months) and see your address. Expires in 10 minutes. Didn't ask? Ignore this.",
		},
		{
			name:   "OneSeptetOverDropsOptionalWords",
			client: "Bright Audits",
			scopes: []string{"read your energy usage history (12 months)", "see your service address"},
			want:   "482193 is your code to let Bright Audits read your energy usage history (12 months) and see your service address. Expires in 10 minutes.",
		},
		{
			name:   "ThreeScopesDropOptionalWords",
			client: "Bright Audits",
			scopes: []string{"read your energy usage history (12 months)", "see your service address", "see your name"},
			want:   "482193 is your code to let Bright Audits read your energy usage history (12 months), see your service address and see your name. Expires in 10 minutes.",
		},
		{
			name:   "ManyScopesSummarised",
			client: "Bright Audits",
			scopes: []string{scope(1), scope(2), scope(3), scope(4)},
			want:   "482193 is your code to let Bright Audits read your meter readings for meter number 1 at full resolution and 3 more permissions. Expires in 10 minutes.",
		},
		{
			name:   "LongClientCut",
			client: long,
			scopes: []string{"read your energy usage history (12 months)"},
			want:   "482193 is your code to let Extraordinarily Long Company Name Extraordinarily Long Company... read your energy usage history (12 months). Expires in 10 minutes.",
		},
		{
			name:   "LongClientAndScopes",
			client: long,
			scopes: []string{scope(1), scope(2)},
			want:   "482193 is your code to let Extraordinarily Long... read your meter readings for meter number 1 at full resolution and 1 more permission. Expires in 10 minutes.",
		},
		{
			name:   "EverythingLong",
			client: long,
			scopes: []string{strings.Repeat("read absolutely everything ", 10), scope(2)},
			want:   "482193 is your code to let Extraordinarily Long... read absolutely everything read absolutely everything read a... and 1 more permission. Expires in 10 minutes.",
		},
		{
			name:   "CurlyQuotesStayGSM",
			client: "O’Brien & Sons “Energy”",
			scopes: []string{"read your usage…"},
			want:   `482193 is your code to let O'Brien & Sons "Energy" read your usage. Expires in 10 minutes. Didn't ask? Ignore this.`,
		},
		{
			name:   "NoScopes",
			client: "Bright Audits",
			want:   "482193 is your code to let Bright Audits access your account. Expires in 10 minutes. Didn't ask? Ignore this.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := storyData()
			d.ClientName, d.ScopeDescriptions = tt.client, tt.scopes
			got, err := DefaultTemplates().SMS(d)
			if err != nil {
				t.Fatal(err)
			}
			mustFitOneSegment(t, got)
			if got != tt.want {
				t.Errorf("sms:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestSMSAlwaysFits runs the renderer over long names, many scopes,
// extension characters and scripts GSM-7 lacks: the code, the expiry and
// the start of the client's name must always survive in one segment.
func TestSMSAlwaysFits(t *testing.T) {
	names := []string{
		"A", "Bright Audits", strings.Repeat("W", 300), strings.Repeat("Name With Spaces ", 30),
		"Euro " + strings.Repeat("€", 100), "B" + strings.Repeat("{[|]}", 40), "北京电力公司 Beijing Power", "Ünïcödé Ĉlïënt ŝervice",
		strings.Repeat("x ", 200), "Ümlaut€€€" + strings.Repeat("ß", 150),
	}
	scopeSets := [][]string{
		nil,
		{"read your energy usage history (12 months)"},
		{strings.Repeat("r", 500)},
		{strings.Repeat("€", 200), strings.Repeat("[x] ", 100)},
		func() []string {
			s := make([]string, 120)
			for i := range s {
				s[i] = fmt.Sprintf("scope number %d with a long description of what it lets the client do", i)
			}
			return s
		}(),
	}
	codes := []string{"1", "482193", "ABCD-12345"}
	expiries := []time.Duration{time.Second, 10 * time.Minute, 90 * time.Minute, 24*time.Hour - time.Minute, 1000 * time.Hour}
	n := 0
	for _, name := range names {
		for _, scopes := range scopeSets {
			for _, code := range codes {
				for _, exp := range expiries {
					for _, purpose := range []string{"token", "login"} {
						d := OTPData{ClientName: name, ScopeDescriptions: scopes, Code: code, ExpiresIn: exp, Purpose: purpose}
						got, err := DefaultTemplates().SMS(d)
						if err != nil {
							t.Fatalf("SMS(%+v): %v", d, err)
						}
						mustFitOneSegment(t, got)
						if !strings.HasPrefix(got, code+" is your code to ") {
							t.Fatalf("sms %q does not start with the code", got)
						}
						if !strings.Contains(got, "Expires in "+humanDuration(exp)) {
							t.Fatalf("sms %q lost the expiry", got)
						}
						start := ToGSM7(cleanText(name))
						start = start[:min(len(start), 5)]
						if !strings.Contains(got, start) {
							t.Fatalf("sms %q lost the client's name (%q...)", got, start)
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d messages checked", n)
}

func TestOTPDataValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*OTPData)
	}{
		{"ErrEmptyCode", func(d *OTPData) { d.Code = "" }},
		{"ErrLongCode", func(d *OTPData) { d.Code = strings.Repeat("1", 11) }},
		{"ErrCodeWithSpace", func(d *OTPData) { d.Code = "482 193" }},
		{"ErrNoClient", func(d *OTPData) { d.ClientName = " \t" }},
		{"ErrInvisibleClient", func(d *OTPData) { d.ClientName = "\u200b..." }},
		{"ErrNoExpiry", func(d *OTPData) { d.ExpiresIn = 0 }},
		{"ErrPurpose", func(d *OTPData) { d.Purpose = "phish" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := storyData()
			tt.edit(&d)
			if _, err := DefaultTemplates().SMS(d); err == nil {
				t.Error("SMS: got no error")
			}
			if _, _, _, err := DefaultTemplates().Email(d); err == nil {
				t.Error("Email: got no error")
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{time.Second, "1 second"},
		{59 * time.Second, "59 seconds"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "1 minute"},
		{10 * time.Minute, "10 minutes"},
		{10*time.Minute + 59*time.Second, "10 minutes"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "90 minutes"},
		{48 * time.Hour, "48 hours"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.in); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmail(t *testing.T) {
	d := storyData()
	d.ClientName = "Bright <Audits> & Co"
	d.ScopeDescriptions = []string{"read your energy usage history (12 months)", "see your service address"}
	subject, text, html, err := DefaultTemplates().Email(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "482193 is your code for Bright <Audits> & Co"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	for _, w := range []string{"482193", "Bright <Audits> & Co", "read your energy usage history (12 months)", "see your service address", "10 minutes"} {
		if !strings.Contains(text, w) {
			t.Errorf("text part lacks %q:\n%s", w, text)
		}
	}
	for _, w := range []string{"482193", "Bright &lt;Audits&gt; &amp; Co", "read your energy usage history (12 months)", "see your service address", "10 minutes"} {
		if !strings.Contains(html, w) {
			t.Errorf("html part lacks %q", w)
		}
	}
	if strings.Contains(html, "<Audits>") {
		t.Error("html part has the client's name unescaped")
	}
	for _, remote := range []string{"<img", "src=", "url("} {
		if strings.Contains(html, remote) {
			t.Errorf("html part loads something remote (%q)", remote)
		}
	}
}

func TestEmailSubjectOneLine(t *testing.T) {
	d := storyData()
	d.ClientName = "Evil\r\nBcc: victim@example.com"
	subject, _, _, err := DefaultTemplates().Email(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject %q spans lines", subject)
	}
}

func TestMessage(t *testing.T) {
	sms, err := DefaultTemplates().Message(ChannelSMS, "+15551234821", storyData())
	if err != nil {
		t.Fatal(err)
	}
	if sms.Channel != ChannelSMS || sms.To != "+15551234821" || !strings.HasPrefix(sms.Text, "482193 ") || sms.HTML != "" {
		t.Errorf("sms message = %+v", sms)
	}
	email, err := DefaultTemplates().Message(ChannelEmail, "heather@example.com", storyData())
	if err != nil {
		t.Fatal(err)
	}
	if email.Channel != ChannelEmail || email.To != "heather@example.com" || email.Subject == "" || email.Text == "" || email.HTML == "" {
		t.Errorf("email message = %+v", email)
	}
	if _, err := DefaultTemplates().Message("pigeon", "x", storyData()); err == nil {
		t.Error("Message(pigeon): got no error")
	}
}

func writeTemplates(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadTemplates(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := writeTemplates(t, map[string]string{
			FileSMS: "{{.Code}}: {{.Client}} wants to {{.ScopeText}}. Valid {{.ExpiresIn}}.\n",
		})
		tm, err := LoadTemplates(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tm.SMS(storyData())
		if err != nil {
			t.Fatal(err)
		}
		if want := "482193: Bright Audits wants to read your energy usage history (12 months). Valid 10 minutes."; got != want {
			t.Errorf("sms = %q, want %q", got, want)
		}
		// The email templates fell back to the built-in ones.
		subject, _, _, err := tm.Email(storyData())
		if err != nil || subject != "482193 is your code for Bright Audits" {
			t.Errorf("subject = %q, %v", subject, err)
		}
	})
	t.Run("OKUCS2", func(t *testing.T) {
		dir := writeTemplates(t, map[string]string{
			FileSMS: "{{.Code}} – {{.Client}}: {{.ScopeText}}",
		})
		tm, err := LoadTemplates(dir)
		if err != nil {
			t.Fatal(err)
		}
		d := storyData()
		d.ClientName = strings.Repeat("Ünïcödé ", 20)
		got, err := tm.SMS(d)
		if err != nil {
			t.Fatal(err)
		}
		if n := utf16Len(got); n > 70 {
			t.Errorf("ucs-2 sms %q is %d units, want <= 70", got, n)
		}
		if !strings.Contains(got, "Ünïcödé") {
			t.Errorf("ucs-2 sms %q rewrote the name", got)
		}
	})
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"ErrNoFiles", map[string]string{"readme.md": "hi"}, "no template files"},
		{"ErrSyntax", map[string]string{FileSMS: "{{.Code"}, "sms.txt"},
		{"ErrUnknownField", map[string]string{FileEmailText: "{{.Code}} {{.Nope}}"}, "Nope"},
		{"ErrNoCode", map[string]string{FileSMS: "{{.Client}} {{.ScopeText}}"}, "482193"},
		{"ErrNoClient", map[string]string{FileEmailHTML: "<p>{{.Code}} {{.ScopeText}}</p>"}, "Bright Audits"},
		{"ErrNoScopes", map[string]string{FileEmailText: "{{.Code}} for {{.Client}}"}, "energy usage history"},
		{"ErrTooLong", map[string]string{FileSMS: "{{.Code}} {{.Client}} {{.ScopeText}} " + strings.Repeat("blah ", 25)}, "no room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTemplates(writeTemplates(t, tt.files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadTemplates: err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNoDir", func(t *testing.T) {
		if _, err := LoadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
			t.Error("got no error")
		}
	})
}

func TestDefaultTemplatesValid(t *testing.T) {
	for _, lang := range DefaultTemplates().Languages() {
		if err := DefaultTemplates().validate(lang); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
	}
}

func FuzzSMS(f *testing.F) {
	f.Add("Bright Audits", "read your energy usage history (12 months)", "see your address", uint8(3), "482193", int64(600))
	f.Add("O’Brien €", "…", "", uint8(0), "A-1", int64(1))
	f.Add("北京", "\x1b[31m", "{}", uint8(200), "1234567890", int64(1<<40))
	f.Fuzz(func(t *testing.T, client, scope1, scope2 string, extra uint8, code string, seconds int64) {
		scopes := []string{scope1, scope2}
		for i := 0; i < int(extra); i++ {
			scopes = append(scopes, scope1)
		}
		d := OTPData{ClientName: client, ScopeDescriptions: scopes, Code: code,
			ExpiresIn: time.Duration(seconds) * time.Second, Purpose: "token"}
		if d.validate() != nil {
			return
		}
		if seconds > 1<<30 { // keep the duration from overflowing
			return
		}
		got, err := DefaultTemplates().SMS(d)
		if err != nil {
			t.Fatalf("SMS: %v", err)
		}
		n, ok := GSM7Length(got)
		if !ok || n > 160 {
			t.Fatalf("sms %q: %d septets, gsm-7 %v", got, n, ok)
		}
		if !strings.HasPrefix(got, code+" ") {
			t.Fatalf("sms %q lost the code", got)
		}
	})
}

// humanDuration says d in English, as the built-in words do.
func humanDuration(d time.Duration) string { return DefaultTemplates().langs["en"].words.duration(d) }
