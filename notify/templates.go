package notify

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode"
)

//go:embed templates/*
var defaultTemplateFS embed.FS

// The files LoadTemplates reads from an operator's directory. Any of them
// may be missing; the built-in version is used instead.
const (
	FileSMS          = "sms.txt"           // text/template; one SMS segment
	FileEmailSubject = "email-subject.txt" // text/template; one line
	FileEmailText    = "email.txt"         // text/template; the text/plain part
	FileEmailHTML    = "email.html"        // html/template; the text/html part
)

// OTPData is what the OTP flow knows when it sends a code. The message
// built from it must tell the person WHO asks (ClientName) and WHAT for
// (ScopeDescriptions): without that, a code is a phishing tool.
type OTPData struct {
	ClientName string
	// ScopeDescriptions are the scope catalogue's words for the requested
	// scopes ("read your energy usage history (12 months)").
	ScopeDescriptions []string
	Code              string        // 1 to 10 letters, digits or dashes
	ExpiresIn         time.Duration // the code's remaining lifetime, >= 1s
	// Purpose is "token" (a client asks for access: the message lists the
	// scopes) or "login" (the person signs in on keypad's pages).
	Purpose string
}

// TemplateData is what the message templates see. Operators writing their
// own templates use these fields.
type TemplateData struct {
	Code   string
	Client string // the client's name, cleaned (and, in SMS, maybe shortened)
	// Scopes are the descriptions to list; in an SMS, possibly fewer than
	// requested (see MoreScopes) and the first one possibly shortened.
	Scopes     []string
	MoreScopes int // how many descriptions an SMS left out for length
	// ScopeText is Scopes in words: "read X, read Y and 2 more
	// permissions". "access your account" when the client named none.
	ScopeText string
	ExpiresIn string // "10 minutes"
	Purpose   string // "token" or "login"
	// Short is set when an SMS did not fit one segment: a template drops
	// its optional words ("Didn't ask? Ignore this.") when it is true.
	Short bool
}

// Templates render OTP messages. The zero value is not usable: start from
// DefaultTemplates or LoadTemplates. Templates are safe for concurrent use.
type Templates struct {
	sms, subject, text *texttemplate.Template
	html               *htmltemplate.Template
}

var defaultTemplates = sync.OnceValue(func() *Templates {
	t, err := parseTemplates(defaultTemplateFS, "templates", nil)
	if err != nil {
		panic("notify: built-in templates are broken: " + err.Error())
	}
	return t
})

// DefaultTemplates returns the built-in English templates. Their SMS fits
// one GSM-7 segment for any input.
func DefaultTemplates() *Templates { return defaultTemplates() }

// LoadTemplates reads operator templates from dir (see FileSMS and
// friends), falling back to the built-in template for each missing file,
// and rejects a set that cannot do its job: a template that fails to run,
// leaves out the code, the client's name or the scopes, or an SMS template
// whose fixed words leave no room to fit one segment.
func LoadTemplates(dir string) (*Templates, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("notify: templates: %w", err)
	}
	t, err := parseTemplates(os.DirFS(dir), ".", DefaultTemplates())
	if err != nil {
		return nil, fmt.Errorf("notify: templates in %s: %w", dir, err)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("notify: templates in %s: %w", dir, err)
	}
	return t, nil
}

// parseTemplates parses the files under dir in fsys. With a fallback,
// missing files keep the fallback's template and at least one file must
// exist; without one, every file must.
func parseTemplates(fsys fs.FS, dir string, fallback *Templates) (*Templates, error) {
	t := &Templates{}
	if fallback != nil {
		*t = *fallback
	}
	found := 0
	for _, name := range []string{FileSMS, FileEmailSubject, FileEmailText, FileEmailHTML} {
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && fallback != nil {
			continue
		}
		if err != nil {
			return nil, err
		}
		found++
		if name == FileEmailHTML {
			h, err := htmltemplate.New(name).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return nil, err
			}
			t.html = h
			continue
		}
		p, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, err
		}
		switch name {
		case FileSMS:
			t.sms = p
		case FileEmailSubject:
			t.subject = p
		case FileEmailText:
			t.text = p
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("no template files found: want one or more of %s, %s, %s, %s",
			FileSMS, FileEmailSubject, FileEmailText, FileEmailHTML)
	}
	return t, nil
}

// Message renders d for channel and addresses it to to: the one call the
// OTP flow makes before Router.Send.
func (t *Templates) Message(channel, to string, d OTPData) (Message, error) {
	switch channel {
	case ChannelSMS:
		text, err := t.SMS(d)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Text: text}, nil
	case ChannelEmail:
		subject, text, html, err := t.Email(d)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Subject: subject, Text: text, HTML: html}, nil
	}
	return Message{}, fmt.Errorf("notify: unknown channel %q: want %q or %q", channel, ChannelSMS, ChannelEmail)
}

// Email renders the subject, text and HTML bodies of the OTP email. Email
// has room, so nothing is shortened.
func (t *Templates) Email(d OTPData) (subject, text, html string, err error) {
	if err := d.validate(); err != nil {
		return "", "", "", err
	}
	scopes := cleanScopes(d.ScopeDescriptions)
	data := TemplateData{
		Code: d.Code, Client: cleanText(d.ClientName), Scopes: scopes,
		ScopeText: scopeText(scopes, 0), ExpiresIn: humanDuration(d.ExpiresIn), Purpose: d.Purpose,
	}
	var s, x, h strings.Builder
	if err := t.subject.Execute(&s, data); err != nil {
		return "", "", "", fmt.Errorf("notify: email subject template: %w", err)
	}
	if err := t.text.Execute(&x, data); err != nil {
		return "", "", "", fmt.Errorf("notify: email text template: %w", err)
	}
	if err := t.html.Execute(&h, data); err != nil {
		return "", "", "", fmt.Errorf("notify: email html template: %w", err)
	}
	subject = truncateTo(strings.Join(strings.Fields(s.String()), " "), 200, func(rune) int { return 1 })
	return subject, strings.TrimSpace(x.String()) + "\n", h.String(), nil
}

var codeShape = regexp.MustCompile(`^[0-9A-Za-z-]{1,10}$`)

func (d OTPData) validate() error {
	switch {
	case !codeShape.MatchString(d.Code):
		return errors.New("notify: otp code must be 1 to 10 letters, digits or dashes")
	case strings.IndexFunc(d.ClientName, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0:
		return errors.New("notify: otp message needs the client's name")
	case d.ExpiresIn < time.Second:
		return errors.New("notify: otp expiry must be at least a second")
	case d.Purpose != "token" && d.Purpose != "login":
		return fmt.Errorf("notify: otp purpose %q: want token or login", d.Purpose)
	}
	return nil
}

// cleanScopes cleans each description and drops a final full stop (the
// templates add their own); no descriptions become "access your account".
func cleanScopes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimRight(cleanText(s), ".… ")
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = append(out, "access your account")
	}
	return out
}

// scopeText lists scopes in words, adding "and N more permissions" when
// more were left out.
func scopeText(shown []string, more int) string {
	parts := append([]string(nil), shown...)
	if more > 0 {
		parts = append(parts, plural(more, "more permission"))
	}
	switch len(parts) {
	case 0:
		return "access your account"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// humanDuration says d the way people say it, rounding down: better the
// person hurries than finds a dead code.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return plural(int(d/time.Second), "second")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// validate renders sample and worst-case messages, so an operator's
// mistake fails at start-up rather than on a customer's phone.
func (t *Templates) validate() error {
	sample := OTPData{
		ClientName:        "Bright Audits",
		ScopeDescriptions: []string{"read your energy usage history (12 months)"},
		Code:              "482193",
		ExpiresIn:         10 * time.Minute,
	}
	for _, purpose := range []string{"token", "login"} {
		d := sample
		d.Purpose = purpose
		want := []string{d.Code, d.ClientName}
		if purpose == "token" {
			want = append(want, "energy usage history")
		}
		sms, err := t.SMS(d)
		if err != nil {
			return err
		}
		subject, text, html, err := t.Email(d)
		if err != nil {
			return err
		}
		if subject == "" {
			return fmt.Errorf("%s renders an empty subject", FileEmailSubject)
		}
		for name, body := range map[string]string{FileSMS: sms, FileEmailText: text, FileEmailHTML: html} {
			for _, w := range want {
				if !strings.Contains(body, w) {
					return fmt.Errorf("%s (purpose %s) leaves out %q: it must show the code ({{.Code}}), who asks ({{.Client}}) and, for purpose token, what for ({{.ScopeText}} or {{.Scopes}})",
						name, purpose, w)
				}
			}
		}

		// The longest inputs keypad accepts must still fit one segment.
		long := d
		long.ClientName = strings.Repeat("Very Long Client Name ", 12)
		long.ScopeDescriptions = make([]string, 40)
		for i := range long.ScopeDescriptions {
			long.ScopeDescriptions[i] = strings.Repeat("read every detail of your account ", 4)
		}
		long.Code = "ABCD-12345"
		long.ExpiresIn = 24*time.Hour - time.Minute
		if _, err := t.SMS(long); err != nil {
			return err
		}
	}
	return nil
}
