package notify

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
	"unicode"

	"golang.org/x/text/language"
)

//go:embed templates
var defaultTemplateFS embed.FS

// The files of one language's templates. LoadTemplates reads them from an
// operator's directory, where any of them may be missing.
const (
	FileSMS          = "sms.txt"           // text/template; one SMS segment
	FileEmailSubject = "email-subject.txt" // text/template; one line
	FileEmailText    = "email.txt"         // text/template; the text/plain part
	FileEmailHTML    = "email.html"        // html/template; the text/html part

	// A CIBA request's approval link, with the same data plus Link and
	// Binding.
	FileCIBASMS          = "ciba-sms.txt"
	FileCIBAEmailSubject = "ciba-email-subject.txt"
	FileCIBAEmailText    = "ciba-email.txt"
	FileCIBAEmailHTML    = "ciba-email.html"
)

// TemplateFiles lists every template file of a language, FileWords aside.
var TemplateFiles = []string{
	FileSMS, FileEmailSubject, FileEmailText, FileEmailHTML,
	FileCIBASMS, FileCIBAEmailSubject, FileCIBAEmailText, FileCIBAEmailHTML,
}

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
	// ExpiresAt is when the code dies; the emails say it as a time of day
	// in the configured time zone. Optional.
	ExpiresAt time.Time
	// Purpose is "token" (a client asks for access: the message lists the
	// scopes) or "login" (the person signs in on keypad's pages).
	Purpose string
	// Language is the BCP 47 tag to write in (see Templates.Match); empty
	// or unknown means the default language.
	Language string
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
	ExpiresIn string // "10 minutes", in the message's language
	// ExpiresAt is the time of day the code or link dies ("3:04 PM EST",
	// "15:04 CET"), in the configured time zone; empty when unknown.
	ExpiresAt string
	Purpose   string // "token" or "login"
	// Short is set when an SMS did not fit one segment: a template drops
	// its optional words ("Didn't ask? Ignore this.") when it is true.
	Short bool
	// Link and Binding are a CIBA request's approval link and binding
	// message (empty for OTP messages and when there is none).
	Link, Binding string
	// Language is the tag of the language the message is written in.
	Language string
}

// Templates render OTP and CIBA messages in each language they have. The
// zero value is not usable: start from DefaultTemplates, LoadTemplates or
// NewTemplates. Templates are safe for concurrent use.
type Templates struct {
	def   string // the default language's tag
	loc   *time.Location
	langs map[string]*langTemplates
}

// langTemplates are one language's templates and words.
type langTemplates struct {
	tag   language.Tag
	text  map[string]*texttemplate.Template // by file name, HTML aside
	html  map[string]*htmltemplate.Template
	words *words
}

// TemplateConfig says how to build Templates.
type TemplateConfig struct {
	// Dir is the operator's template directory; empty for the built-in
	// templates alone. Files at its top are the default language's; a
	// subdirectory named by a BCP 47 tag ("es", "fr-CA") holds that
	// language's, which adds the language.
	Dir string
	// DefaultLanguage is the language of a message whose person and
	// client named none keypad has (default "en"); it must have
	// templates, built in or in Dir.
	DefaultLanguage string
	// Location is the time zone times are said in (default UTC).
	Location *time.Location
}

var defaultTemplates = sync.OnceValue(func() *Templates {
	t, err := NewTemplates(TemplateConfig{})
	if err != nil {
		panic("notify: built-in templates are broken: " + err.Error())
	}
	return t
})

// DefaultTemplates returns the built-in templates (English and Spanish),
// English by default, times in UTC. Their SMS fits one segment for any
// input.
func DefaultTemplates() *Templates { return defaultTemplates() }

// LoadTemplates is NewTemplates with Dir set and the other settings at
// their defaults.
func LoadTemplates(dir string) (*Templates, error) {
	return NewTemplates(TemplateConfig{Dir: dir})
}

// NewTemplates builds the templates of every built-in language and of
// every language subdirectory of c.Dir. For each language and file, the
// first of these is used: the operator's file for the language (for the
// default language, also one at the top of Dir), the built-in one, then
// the same for the default language, then the built-in English one. It
// rejects a set that cannot do its job: a template that fails to run,
// leaves out the code, the client's name or the scopes, or an SMS
// template whose fixed words leave no room to fit one segment.
func NewTemplates(c TemplateConfig) (*Templates, error) {
	t, op, err := prepare(c)
	if err != nil {
		return nil, err
	}
	if err := t.parseAll(op); err != nil {
		return nil, templatesError(c.Dir, err)
	}
	for _, name := range t.Languages() {
		if err := t.validate(name); err != nil {
			return nil, templatesError(c.Dir, fmt.Errorf("language %s: %w", name, err))
		}
	}
	return t, nil
}

func templatesError(dir string, err error) error {
	if dir != "" {
		return fmt.Errorf("notify: templates in %s: %w", dir, err)
	}
	return fmt.Errorf("notify: templates: %w", err)
}

// prepare checks c and returns empty Templates and the operator's
// directory (nil for none).
func prepare(c TemplateConfig) (*Templates, fs.FS, error) {
	def := cmp.Or(c.DefaultLanguage, "en")
	tag, err := language.Parse(def)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: templates: default language %q is not a BCP 47 tag", def)
	}
	t := &Templates{def: tag.String(), loc: cmp.Or(c.Location, time.UTC), langs: map[string]*langTemplates{}}
	if c.Dir == "" {
		return t, nil, nil
	}
	if _, err := os.Stat(c.Dir); err != nil {
		return nil, nil, fmt.Errorf("notify: templates: %w", err)
	}
	return t, os.DirFS(c.Dir), nil
}

// parseAll parses every language's files, op being the operator's
// directory (nil for none).
func (t *Templates) parseAll(op fs.FS) error {
	builtin, _ := fs.Sub(defaultTemplateFS, "templates")
	tags := map[string]bool{}
	builtinDirs, _ := fs.ReadDir(builtin, ".")
	for _, e := range builtinDirs {
		tags[e.Name()] = true
	}
	if op != nil {
		if err := operatorLanguages(op, tags); err != nil {
			return err
		}
	}
	if base, _ := language.Make(t.def).Base(); !tags[t.def] && tags[base.String()] {
		t.def = base.String() // en-US is written in en
	}
	if !tags[t.def] {
		return fmt.Errorf("the default language %s has no templates: add a directory %s with them", t.def, t.def)
	}
	// The default language first: the others fall back on its words.
	order := slices.Sorted(maps.Keys(tags))
	order = append([]string{t.def}, slices.DeleteFunc(order, func(s string) bool { return s == t.def })...)
	for _, name := range order {
		l, err := t.parseLanguage(name, builtin, op)
		if err != nil {
			return fmt.Errorf("language %s: %w", name, err)
		}
		t.langs[name] = l
	}
	return nil
}

// operatorLanguages adds the language subdirectories of op to tags, and
// fails when op holds no template file at all.
func operatorLanguages(op fs.FS, tags map[string]bool) error {
	entries, err := fs.ReadDir(op, ".")
	if err != nil {
		return err
	}
	found := 0
	for _, e := range entries {
		switch {
		case e.IsDir():
			tag, err := language.Parse(e.Name())
			if err != nil || tag.String() != e.Name() {
				return fmt.Errorf("subdirectory %q is not a language tag: name language directories by BCP 47 tag (es, fr-CA)", e.Name())
			}
			tags[e.Name()] = true
			files, _ := fs.ReadDir(op, e.Name())
			found += len(files)
		case slices.Contains(TemplateFiles, e.Name()) || e.Name() == FileWords:
			found++
		}
	}
	if found == 0 {
		return fmt.Errorf("no template files found: want one or more of %s (or language subdirectories holding them)", strings.Join(TemplateFiles, ", "))
	}
	return nil
}

// source is where one language looks for a file, in order.
type source struct {
	fsys fs.FS
	dir  string
}

func (t *Templates) sources(lang string, builtin, op fs.FS) []source {
	var out []source
	for _, l := range []string{lang, t.def} {
		if op != nil {
			out = append(out, source{op, l})
			if l == t.def {
				out = append(out, source{op, "."})
			}
		}
		out = append(out, source{builtin, l})
	}
	return append(out, source{builtin, "en"})
}

// read returns the first of the sources' name.
func read(sources []source, name string) ([]byte, error) {
	for _, s := range sources {
		b, err := fs.ReadFile(s.fsys, path.Join(s.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return b, err
	}
	return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
}

func (t *Templates) parseLanguage(name string, builtin, op fs.FS) (*langTemplates, error) {
	tag, err := language.Parse(name)
	if err != nil {
		return nil, err
	}
	src := t.sources(name, builtin, op)
	l := &langTemplates{tag: tag, text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, file := range TemplateFiles {
		b, err := read(src, file)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(file, ".html") {
			h, err := htmltemplate.New(file).Option("missingkey=error").Parse(string(b))
			if err != nil {
				return nil, err
			}
			l.html[file] = h
			continue
		}
		p, err := texttemplate.New(file).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, err
		}
		l.text[file] = p
	}
	var fallback *words
	if d := t.langs[t.def]; d != nil {
		fallback = d.words
	}
	// Words merge: the language's own lines over the default language's.
	b, err := read(src[:len(src)-1], FileWords)
	if errors.Is(err, fs.ErrNotExist) && fallback != nil {
		b, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.words, err = parseWords(tag, b, fallback); err != nil {
		return nil, err
	}
	return l, nil
}

// Message renders d for channel and addresses it to to: the one call the
// OTP flow makes before Router.Send. The message records its language.
func (t *Templates) Message(channel, to string, d OTPData) (Message, error) {
	lang := t.lang(d.Language).tag.String()
	switch channel {
	case ChannelSMS:
		text, err := t.SMS(d)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Text: text, Language: lang}, nil
	case ChannelEmail:
		subject, text, html, err := t.Email(d)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Subject: subject, Text: text, HTML: html, Language: lang}, nil
	}
	return Message{}, fmt.Errorf("notify: unknown channel %q: want %q or %q", channel, ChannelSMS, ChannelEmail)
}

// Email renders the subject, text and HTML bodies of the OTP email. Email
// has room, so nothing is shortened.
func (t *Templates) Email(d OTPData) (subject, text, html string, err error) {
	if err := d.validate(); err != nil {
		return "", "", "", err
	}
	l := t.lang(d.Language)
	scopes := cleanScopes(d.ScopeDescriptions, l.words)
	data := TemplateData{
		Code: d.Code, Client: cleanText(d.ClientName), Scopes: scopes,
		ScopeText: l.words.scopeText(scopes, 0), ExpiresIn: l.words.duration(d.ExpiresIn),
		ExpiresAt: l.words.clock(d.ExpiresAt, t.loc), Purpose: d.Purpose, Language: l.tag.String(),
	}
	return l.email(FileEmailSubject, FileEmailText, FileEmailHTML, data)
}

// email runs a language's three email templates on data.
func (l *langTemplates) email(subjectFile, textFile, htmlFile string, data TemplateData) (subject, text, html string, err error) {
	var s, x, h strings.Builder
	if err := l.text[subjectFile].Execute(&s, data); err != nil {
		return "", "", "", fmt.Errorf("notify: %s: %w", subjectFile, err)
	}
	if err := l.text[textFile].Execute(&x, data); err != nil {
		return "", "", "", fmt.Errorf("notify: %s: %w", textFile, err)
	}
	if err := l.html[htmlFile].Execute(&h, data); err != nil {
		return "", "", "", fmt.Errorf("notify: %s: %w", htmlFile, err)
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
// templates add their own); no descriptions become the language's
// "access your account".
func cleanScopes(in []string, w *words) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimRight(cleanText(s), ".… ")
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = append(out, w.m["any-scope"])
	}
	return out
}

// Samples that validate and the check render: the story's values, and
// the longest values keypad accepts.
var (
	sampleClient = "Bright Audits"
	sampleScope  = "read your energy usage history (12 months)"
	sampleCode   = "482193"
	// A link as oauth makes it: the issuer, /ciba and a 22-character token.
	sampleLink = "https://auth.example.com/ciba?t=" + strings.Repeat("A", 22)
)

// worstOTP is the longest an OTP message's values get. keypad bounds
// neither a client's name nor a scope's description where they are
// registered: the SMS shortens them safely (Templates.SMS), so the worst
// case is names and descriptions longer than any real one (264 and 136
// characters), 40 scopes, a 10-character code (OTPConfig's longest) and
// an expiry of 23 hours 59 minutes.
func worstOTP(purpose string) OTPData {
	d := OTPData{
		ClientName: strings.Repeat("Very Long Client Name ", 12),
		Code:       "ABCD-12345", ExpiresIn: 24*time.Hour - time.Minute, Purpose: purpose,
	}
	d.ScopeDescriptions = make([]string, 40)
	for i := range d.ScopeDescriptions {
		d.ScopeDescriptions[i] = strings.Repeat("read every detail of your account ", 4)
	}
	return d
}

// validate renders sample and worst-case messages in a language, so an
// operator's mistake fails at start-up rather than on a customer's phone.
func (t *Templates) validate(lang string) error {
	for _, purpose := range []string{"token", "login"} {
		d := OTPData{
			ClientName: sampleClient, ScopeDescriptions: []string{sampleScope},
			Code: sampleCode, ExpiresIn: 10 * time.Minute, Purpose: purpose, Language: lang,
			ExpiresAt: time.Date(2026, 12, 3, 15, 4, 0, 0, time.UTC),
		}
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
		long := worstOTP(purpose)
		long.Language = lang
		if _, err := t.SMS(long); err != nil {
			return err
		}
	}
	return t.validateCIBA(lang)
}
