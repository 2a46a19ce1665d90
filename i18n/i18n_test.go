package i18n_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/i18n"
)

// TestCataloguesComplete is the catalogue test: every key of the default
// language is in every catalogue and no other, every text uses the same
// placeholders as the English one, and every plural message has the
// forms its language's CLDR rules need.
func TestCataloguesComplete(t *testing.T) {
	b, err := i18n.Load("en", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Languages(); !slices.Equal(got, []string{"en", "es"}) {
		t.Errorf("Languages() = %v, want [en es]", got)
	}
	for _, p := range b.Check() {
		t.Error(p)
	}
}

// TestCheckFindsFaults: Check reports each kind of fault in a catalogue
// an operator adds, so the completeness test above can fail.
func TestCheckFindsFaults(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "fr.json"), `{
		"consent.heading": "Autoriser {Appli} ?",
		"duration.minutes": {"one": "{Count} minute"},
		"code.wrong.left": "plus d'essais",
		"no.such.key": "x"
	}`)
	_, err := i18n.Load("en", dir)
	if err == nil || !strings.Contains(err.Error(), `"other" form`) {
		t.Fatalf("a plural without other: err = %v", err)
	}
	writeFile(t, filepath.Join(dir, "fr.json"), `{
		"consent.heading": "Autoriser {Appli} ?",
		"duration.minutes": {"other": "{Count} minutes"},
		"code.wrong.left": "plus d'essais",
		"no.such.key": "x"
	}`)
	b, err := i18n.Load("en", dir)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(b.Check(), "\n")
	for _, want := range []string{
		"fr: consent.heading uses {Appli}, en uses {Client}",
		"fr: code.wrong.left must be a plural",
		`fr: duration.minutes lacks the plural form "one"`,
		"fr: no.such.key is not a key of en",
		"fr: login.heading is missing",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("Check() lacks %q", want)
		}
	}
	// What fr lacks falls back to English.
	l := b.Localizer("fr")
	if l.Tag() != "fr" || l.T("login.heading") != "Sign in" {
		t.Errorf("fr login.heading = %q (tag %s), want the English fallback", l.T("login.heading"), l.Tag())
	}
}

// TestOperatorDirectory: a file for a shipped language replaces only the
// messages it names; a badly named file is refused.
func TestOperatorDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "es.json"), `{"login.heading": "Entrar"}`)
	b, err := i18n.Load("es", dir)
	if err != nil {
		t.Fatal(err)
	}
	l := b.Localizer()
	if got := l.T("login.heading"); got != "Entrar" {
		t.Errorf("replaced message = %q", got)
	}
	if got := l.T("login.username"); got != "Nombre de usuario" {
		t.Errorf("kept message = %q", got)
	}
	if b.Default() != "es" || b.Languages()[0] != "es" {
		t.Errorf("default = %s, languages %v, want es first", b.Default(), b.Languages())
	}

	bad := t.TempDir()
	writeFile(t, filepath.Join(bad, "Spanish.json"), `{}`)
	if _, err := i18n.Load("en", bad); err == nil || !strings.Contains(err.Error(), "BCP 47") {
		t.Errorf("a file named Spanish.json: err = %v", err)
	}
	if _, err := i18n.Load("de", ""); err == nil || !strings.Contains(err.Error(), "no catalogue") {
		t.Errorf("default language without a catalogue: err = %v", err)
	}
}

func TestMatch(t *testing.T) {
	b := i18n.MustLoad("en")
	for _, tc := range []struct {
		name  string
		prefs []string
		want  string
		ok    bool
	}{
		{"Exact", []string{"es"}, "es", true},
		{"Region", []string{"es-MX"}, "es", true},
		{"AcceptLanguage", []string{"fr-CA,fr;q=0.9,es;q=0.5"}, "es", true},
		{"AcceptLanguageOrder", []string{"en-US,en;q=0.9,es;q=0.8"}, "en", true},
		{"UILocalesFirstSpoken", []string{"fr-CA es en"}, "es", true},
		{"FirstSourceWins", []string{"", "es", "en"}, "es", true},
		{"SkipsUnspoken", []string{"pt-BR", "es"}, "es", true},
		{"NoneSpoken", []string{"pt-BR", "de"}, "en", false},
		{"Junk", []string{"%%%", "<script>", strings.Repeat("a", 600)}, "en", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := b.Match(tc.prefs...)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Match(%q) = %s, %t; want %s, %t", tc.prefs, got, ok, tc.want, tc.ok)
			}
			if l := b.Localizer(tc.prefs...); l.Tag() != tc.want {
				t.Errorf("Localizer(%q).Tag() = %s, want %s", tc.prefs, l.Tag(), tc.want)
			}
		})
	}
	if b.Has("es-MX") || b.Has("ES") || !b.Has("es") || b.Has("") {
		t.Error("Has must accept only a language's exact tag")
	}
}

func TestPluralAndDurations(t *testing.T) {
	b := i18n.MustLoad("en")
	en, es := b.Localizer("en"), b.Localizer("es")
	for _, tc := range []struct {
		l    *i18n.Localizer
		d    time.Duration
		want string
	}{
		{en, 30 * time.Second, "1 minute"},
		{en, 61 * time.Second, "2 minutes"},
		{es, time.Minute, "1 minuto"},
		{es, 10 * time.Minute, "10 minutos"},
	} {
		if got := tc.l.Minutes(tc.d); got != tc.want {
			t.Errorf("%s Minutes(%s) = %q, want %q", tc.l.Tag(), tc.d, got, tc.want)
		}
	}
	if got := es.Seconds(1500 * time.Millisecond); got != "2 segundos" {
		t.Errorf("es Seconds(1.5s) = %q", got)
	}
	if got := es.Seconds(time.Second); got != "1 segundo" {
		t.Errorf("es Seconds(1s) = %q", got)
	}
	if got := es.Plural("code.wrong.left", 1); !strings.HasPrefix(got, "Le queda 1 intento") {
		t.Errorf("es one try left = %q", got)
	}
	if got := es.Plural("code.wrong.left", 3); got != "Le quedan 3 intentos." {
		t.Errorf("es 3 tries left = %q", got)
	}
	if got := en.T("consent.heading", "Client", "Bright Audits"); got != "Allow Bright Audits to use your account?" {
		t.Errorf("T with a value = %q", got)
	}
	if got := en.T("consent.heading", map[string]any{"Client": "TV"}); got != "Allow TV to use your account?" {
		t.Errorf("T with a map = %q", got)
	}
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
	if got := string(en.HTML("layout.signed_in_as", "Name", "<b>Eve</b>")); got != "Signed in as <strong>&lt;b&gt;Eve&lt;/b&gt;</strong>" {
		t.Errorf("HTML escapes values: %q", got)
	}
}

func TestDates(t *testing.T) {
	b := i18n.MustLoad("en")
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := time.Date(2026, 12, 2, 22, 5, 0, 0, time.UTC)
	if got := b.Localizer("es").In(la).DateTime(at); got != "2 de diciembre de 2026, 14:05 PST" {
		t.Errorf("es DateTime = %q", got)
	}
	if got := b.Localizer("en").DateTime(at); got != "2 Dec 2026, 22:05 UTC" {
		t.Errorf("en DateTime = %q", got)
	}
	if got := b.Localizer("en").In(la).Time(at); got != "14:05 PST" {
		t.Errorf("en Time in LA = %q", got)
	}
}

func TestCategories(t *testing.T) {
	if got := i18n.Categories("es"); !slices.Equal(got, []string{"one", "other"}) {
		t.Errorf("es categories = %v", got)
	}
	if got := i18n.Categories("pl"); !slices.Contains(got, "few") || !slices.Contains(got, "many") {
		t.Errorf("pl categories = %v, want few and many", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
