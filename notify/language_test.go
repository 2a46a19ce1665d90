package notify

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// placeholders returns the sorted, distinct fields ({{.Code}}, {{if
// .Short}}...) and comparisons ("login") a template uses.
var placeholderRE = regexp.MustCompile(`{{[^}]*}}`)
var fieldRE = regexp.MustCompile(`\.[A-Z][A-Za-z]*|"[^"]*"`)

func placeholders(src string) []string {
	set := map[string]bool{}
	for _, action := range placeholderRE.FindAllString(src, -1) {
		for _, f := range fieldRE.FindAllString(action, -1) {
			set[f] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// wordKeysOf returns the keys of a words file without their plural form.
func wordKeysOf(t *testing.T, b []byte) []string {
	t.Helper()
	set := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, _ := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if base, form, ok := strings.Cut(k, "."); ok && slices.Contains([]string{"zero", "one", "two", "few", "many", "other"}, form) {
			k = base
		}
		set[k] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// TestEveryTemplateInEveryLanguage: each built-in language has every
// template file and uses exactly the English one's placeholders, and its
// words.txt has every key English has.
func TestEveryTemplateInEveryLanguage(t *testing.T) {
	builtin, err := fs.Sub(defaultTemplateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := fs.ReadDir(builtin, ".")
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, d := range dirs {
		langs = append(langs, d.Name())
	}
	if !slices.Contains(langs, "en") || !slices.Contains(langs, "es") {
		t.Fatalf("built-in languages %v, want en and es at least", langs)
	}
	if got := DefaultTemplates().Languages(); !slices.Equal(got, langs) {
		t.Errorf("Languages() = %v, want %v", got, langs)
	}
	read := func(lang, file string) []byte {
		b, err := fs.ReadFile(builtin, lang+"/"+file)
		if err != nil {
			t.Errorf("%s: %v", lang, err)
		}
		return b
	}
	for _, lang := range langs {
		for _, file := range TemplateFiles {
			got, want := placeholders(string(read(lang, file))), placeholders(string(read("en", file)))
			if !slices.Equal(got, want) {
				t.Errorf("%s/%s uses %v, want English's %v", lang, file, got, want)
			}
		}
		got, want := wordKeysOf(t, read(lang, FileWords)), wordKeysOf(t, read("en", FileWords))
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("%s/%s lacks %q", lang, FileWords, k)
			}
		}
		files, _ := fs.ReadDir(builtin, lang)
		for _, f := range files {
			if f.Name() != FileWords && !slices.Contains(TemplateFiles, f.Name()) {
				t.Errorf("%s/%s is not a template file keypad reads", lang, f.Name())
			}
		}
	}
}

// TestSMSOneSegmentEveryLanguage checks every SMS template of every
// language at the story's values and the longest ones: one segment in
// the encoding it goes out in.
func TestSMSOneSegmentEveryLanguage(t *testing.T) {
	checks, err := CheckSMS(TemplateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 3*len(DefaultTemplates().Languages()) {
		t.Fatalf("%d checks, want 3 per language", len(checks))
	}
	for _, c := range checks {
		if !c.OK() {
			t.Errorf("%s %s %s: sample %+v, worst %+v, err %v", c.Template, c.Purpose, c.Language, c.Sample, c.Worst, c.Err)
		}
		if c.Language == "es" && c.Words != "UCS-2" {
			t.Errorf("%s %s es: words in %s, want UCS-2 (código has ó)", c.Template, c.Purpose, c.Words)
		}
	}
}

func TestSMSSpanish(t *testing.T) {
	tests := []struct {
		name     string
		d        OTPData
		want     string
		encoding string
	}{
		{"StoryGSM7WithoutAccents", OTPData{ClientName: "Bright Audits", ScopeDescriptions: []string{"leer su historial de consumo de energía (12 meses)"},
			Code: "482193", ExpiresIn: 10 * time.Minute, Purpose: "token", Language: "es-MX"},
			"482193 es su codigo para que Bright Audits pueda leer su historial de consumo de energia (12 meses). Vence en 10 minutos. ¿No fue usted? Ignore este mensaje.",
			"GSM-7"},
		{"Login", OTPData{ClientName: "Luz", Code: "482193", ExpiresIn: time.Minute, Purpose: "login", Language: "es"},
			"482193 es su código para entrar en Luz. Vence en 1 minuto. ¿No fue usted? Ignore este mensaje.",
			"GSM-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultTemplates().SMS(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			c := CountSMS(got)
			if c.Encoding != tt.encoding || c.Segments != 1 {
				t.Errorf("sms %q: %s, %d units, %d segments; want %s in one", got, c.Encoding, c.Chars, c.Segments, tt.encoding)
			}
			if tt.encoding == "GSM-7" {
				tt.want = ToGSM7(tt.want)
			}
			if got != tt.want {
				t.Errorf("sms:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestSMSKeepsAccentsWhenTheyFit: an operator's short Spanish template
// goes out in UCS-2 with its accents while the text fits 70 units, and
// in GSM-7 without them when it does not.
func TestSMSKeepsAccentsWhenTheyFit(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "es"), 0o755); err != nil {
		t.Fatal(err)
	}
	sms := "{{.Code}}: código de {{.Client}} para {{.ScopeText}} ({{.ExpiresIn}})"
	if err := os.WriteFile(filepath.Join(dir, "es", FileSMS), []byte(sms), 0o644); err != nil {
		t.Fatal(err)
	}
	tm, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := OTPData{ClientName: "Luz", ScopeDescriptions: []string{"ver sus facturas"}, Code: "482193",
		ExpiresIn: time.Minute, Purpose: "token", Language: "es"}
	got, err := tm.SMS(d)
	if c := CountSMS(got); err != nil || got != "482193: código de Luz para ver sus facturas (1 minuto)" || c.Encoding != "UCS-2" {
		t.Errorf("short: %q (%s), %v", got, c.Encoding, err)
	}
	d.ClientName = "Compañía de Energía del Valle"
	got, err = tm.SMS(d)
	if c := CountSMS(got); err != nil || got != "482193: codigo de Compañia de Energia del Valle para ver sus facturas (1 minuto)" || c.Encoding != "GSM-7" {
		t.Errorf("long: %q (%s), %v", got, c.Encoding, err)
	}
}

func TestCountSMS(t *testing.T) {
	tests := []struct {
		in       string
		encoding string
		chars    int
		segments int
	}{
		{strings.Repeat("a", 160), "GSM-7", 160, 1},
		{strings.Repeat("a", 161), "GSM-7", 161, 2},
		{strings.Repeat("€", 80), "GSM-7", 160, 1},
		{strings.Repeat("ó", 70), "UCS-2", 70, 1},
		{strings.Repeat("ó", 71), "UCS-2", 71, 2},
		{strings.Repeat("ó", 135), "UCS-2", 135, 3},
	}
	for _, tt := range tests {
		c := CountSMS(tt.in)
		if c.Encoding != tt.encoding || c.Chars != tt.chars || c.Segments != tt.segments {
			t.Errorf("CountSMS(%d × %q) = %s %d %d, want %s %d %d", len([]rune(tt.in)), []rune(tt.in)[0],
				c.Encoding, c.Chars, c.Segments, tt.encoding, tt.chars, tt.segments)
		}
	}
}

func TestMatch(t *testing.T) {
	tm := DefaultTemplates()
	tests := []struct{ in, want string }{
		{"es", "es"},
		{"fr es-MX en", "es"},
		{"en-GB es", "en"},
		{"zz-!! fr", ""},
		{"", ""},
		{"ES", "es"},
	}
	for _, tt := range tests {
		if got := tm.Match(tt.in); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWordsPlural(t *testing.T) {
	es := DefaultTemplates().langs["es"].words
	en := DefaultTemplates().langs["en"].words
	tests := []struct {
		w    *words
		d    time.Duration
		want string
	}{
		{es, time.Minute, "1 minuto"},
		{es, 10 * time.Minute, "10 minutos"},
		{es, time.Hour, "1 hora"},
		{es, 30 * time.Second, "30 segundos"},
		{en, time.Second, "1 second"},
		{en, 2 * time.Hour, "2 hours"},
	}
	for _, tt := range tests {
		if got := tt.w.duration(tt.d); got != tt.want {
			t.Errorf("%v duration(%v) = %q, want %q", tt.w.tag, tt.d, got, tt.want)
		}
	}
	if got := es.scopeText([]string{"leer"}, 1); got != "leer y 1 permiso más" {
		t.Errorf("es scopeText = %q", got)
	}
	if got := es.scopeText([]string{"leer", "ver"}, 2); got != "leer, ver y 2 permisos más" {
		t.Errorf("es scopeText = %q", got)
	}
}

// TestEmailLanguageAndTime: the email is in the asked language, says the
// expiry as a time of day in the configured zone, and tags its HTML.
func TestEmailLanguageAndTime(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tm, err := NewTemplates(TemplateConfig{Location: la, DefaultLanguage: "es"})
	if err != nil {
		t.Fatal(err)
	}
	d := storyData()
	d.ExpiresAt = time.Date(2026, 12, 3, 23, 10, 0, 0, time.UTC)
	m, err := tm.Message(ChannelEmail, "h@example.com", d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Language != "es" || !strings.Contains(m.Text, "Vence en 10 minutos (a las 15:10 PST)") ||
		!strings.Contains(m.HTML, `<html lang="es">`) || m.Subject != "482193 es su código para Bright Audits" {
		t.Errorf("default-language email: %+v", m)
	}
	d.Language = "en-US"
	m, err = tm.Message(ChannelEmail, "h@example.com", d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Language != "en" || !strings.Contains(m.Text, "It expires in 10 minutes (at 3:10 PM PST)") {
		t.Errorf("english email: %+v", m)
	}
}

func TestCIBASpanish(t *testing.T) {
	d := CIBAData{ClientName: "Bright Audits", ScopeDescriptions: []string{"leer su historial"}, BindingMessage: "4821",
		Link: sampleLink, ExpiresIn: 5 * time.Minute, Language: "es"}
	m, err := DefaultTemplates().CIBAMessage(ChannelSMS, "+15555554821", d)
	if err != nil {
		t.Fatal(err)
	}
	want := "Bright Audits pide leer su historial. Codigo 4821. Apruebe o rechace: " + sampleLink
	if m.Text != want || m.Language != "es" || CountSMS(m.Text).Segments != 1 {
		t.Errorf("sms %q (%s), want %q", m.Text, m.Language, want)
	}
	m, err = DefaultTemplates().CIBAMessage(ChannelEmail, "h@example.com", d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Bright Audits pide su aprobación" || !strings.Contains(m.Text, "Compruebe que muestra este código: 4821") {
		t.Errorf("email %+v", m)
	}
}

func TestLoadTemplatesLanguageDirs(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(dir, "fr"), 0o755))
		must(os.MkdirAll(filepath.Join(dir, "es"), 0o755))
		must(os.WriteFile(filepath.Join(dir, "fr", FileSMS), []byte("{{.Code}} : code pour {{.Client}}, {{.ScopeText}}. {{.ExpiresIn}}.\n"), 0o644))
		must(os.WriteFile(filepath.Join(dir, "fr", FileWords), []byte("minute.one = {n} minute\nminute.other = {n} minutes\nand = et\n"), 0o644))
		must(os.WriteFile(filepath.Join(dir, "es", FileEmailSubject), []byte("Código {{.Code}} ({{.Client}})\n"), 0o644))
		tm, err := LoadTemplates(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := tm.Languages(); !slices.Equal(got, []string{"en", "es", "fr"}) {
			t.Errorf("languages %v", got)
		}
		d := storyData()
		d.Language = "fr-CA"
		d.ScopeDescriptions = []string{"lire", "voir"}
		got, err := tm.SMS(d)
		if err != nil || got != "482193 : code pour Bright Audits, lire et voir. 10 minutes." {
			t.Errorf("fr sms %q, %v", got, err)
		}
		// fr has no email: the default language's.
		subject, _, _, err := tm.Email(d)
		if err != nil || subject != "482193 is your code for Bright Audits" {
			t.Errorf("fr subject %q, %v", subject, err)
		}
		// es keeps its built-in SMS and takes the operator's subject.
		d.Language = "es"
		subject, _, _, err = tm.Email(d)
		if err != nil || subject != "Código 482193 (Bright Audits)" {
			t.Errorf("es subject %q, %v", subject, err)
		}
		if got, _ := tm.SMS(d); !strings.HasPrefix(got, "482193 es su c") {
			t.Errorf("es sms %q", got)
		}
	})
	t.Run("ErrNotATag", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "spanish!"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), "not a language tag") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrDefaultLanguageMissing", func(t *testing.T) {
		if _, err := NewTemplates(TemplateConfig{DefaultLanguage: "de"}); err == nil || !strings.Contains(err.Error(), "de has no templates") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrSpanishTooLong", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "es"), 0o755); err != nil {
			t.Fatal(err)
		}
		long := "{{.Code}} {{.Client}} {{.ScopeText}} " + strings.Repeat("código ", 25)
		if err := os.WriteFile(filepath.Join(dir, "es", FileSMS), []byte(long), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTemplates(dir); err == nil || !strings.Contains(err.Error(), "language es") {
			t.Errorf("err = %v", err)
		}
		checks, err := CheckSMS(TemplateConfig{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, c := range checks {
			if !c.OK() {
				bad++
				if c.Language != "es" || c.Template != FileSMS {
					t.Errorf("check %+v failed", c)
				}
			}
		}
		if bad != 2 {
			t.Errorf("%d checks failed, want es sms.txt for token and login", bad)
		}
	})
}
