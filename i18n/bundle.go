package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var embedded embed.FS

// Bundle is every language keypad speaks, with the default first. It is
// read-only once loaded, so one Bundle serves all requests.
type Bundle struct {
	tags    []language.Tag // default first, then by tag
	cats    []catalogue    // cats[i] is tags[i]'s
	matcher language.Matcher
}

// Load builds the bundle from the embedded catalogues and, when dir is
// not "", the operator's <tag>.json files in it: a file for a new tag adds
// a language, one for a shipped tag replaces the messages it names.
// defaultLang (a BCP 47 tag) must be one of the languages then known.
func Load(defaultLang, dir string) (*Bundle, error) {
	files := map[string]catalogue{}
	if err := readCatalogues(embedded, "catalog", files, false); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := readCatalogues(os.DirFS(dir), ".", files, true); err != nil {
			return nil, fmt.Errorf("%w (languages_dir %s)", err, dir)
		}
	}
	def, err := language.Parse(defaultLang)
	if err != nil {
		return nil, fmt.Errorf("i18n: default language %q is not a BCP 47 tag", defaultLang)
	}
	b := &Bundle{}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		b.tags = append(b.tags, language.Make(name))
		b.cats = append(b.cats, files[name])
	}
	i := slices.Index(b.tags, def)
	if i < 0 {
		return nil, fmt.Errorf("i18n: default language %q has no catalogue; keypad speaks %s", defaultLang, strings.Join(b.Languages(), ", "))
	}
	// The default goes first: the matcher falls back to it.
	b.tags[0], b.tags[i] = b.tags[i], b.tags[0]
	b.cats[0], b.cats[i] = b.cats[i], b.cats[0]
	b.matcher = language.NewMatcher(b.tags)
	return b, nil
}

// MustLoad is Load for the embedded catalogues alone; it panics only if
// they are broken, which the package's tests rule out.
func MustLoad(defaultLang string) *Bundle {
	b, err := Load(defaultLang, "")
	if err != nil {
		panic(err)
	}
	return b
}

// readCatalogues reads every <tag>.json in dir of fsys into files,
// merging over what is there when merge is set.
func readCatalogues(fsys fs.FS, dir string, files map[string]catalogue, merge bool) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("i18n: read catalogues: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		tag, err := language.Parse(name)
		if err != nil || tag.String() != name {
			return fmt.Errorf("i18n: catalogue %s: its name must be a BCP 47 tag in canonical form (such as es.json or pt-BR.json)", e.Name())
		}
		raw, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("i18n: read catalogue: %w", err)
		}
		c, err := parseCatalogue(filepath.Base(e.Name()), raw)
		if err != nil {
			return err
		}
		if old, ok := files[name]; ok && merge {
			for k, m := range c {
				old[k] = m
			}
			continue
		}
		files[name] = c
	}
	return nil
}

// Languages are the tags of the languages the bundle speaks, the default
// first.
func (b *Bundle) Languages() []string {
	out := make([]string, len(b.tags))
	for i, t := range b.tags {
		out[i] = t.String()
	}
	return out
}

// Default is the default language's tag.
func (b *Bundle) Default() string { return b.tags[0].String() }

// Has reports whether tag names a language of the bundle exactly (as a
// cookie set by the language switcher must).
func (b *Bundle) Has(tag string) bool {
	t, err := language.Parse(tag)
	return err == nil && t.String() == tag && slices.Contains(b.tags, t)
}

// Match returns the index of the first preference the bundle speaks.
// Each preference is a BCP 47 tag, a space-separated list of them
// (OpenID Connect's ui_locales) or an Accept-Language value; ones that do
// not parse are skipped. ok is false when none matches.
func (b *Bundle) match(prefs ...string) (int, bool) {
	for _, p := range prefs {
		for _, tags := range parsePref(p) {
			if len(tags) == 0 {
				continue
			}
			_, i, conf := b.matcher.Match(tags...)
			if conf >= language.High {
				return i, true
			}
		}
	}
	return 0, false
}

// Match returns the tag of the first preference the bundle speaks (see
// Localizer), and false when none does.
func (b *Bundle) Match(prefs ...string) (string, bool) {
	i, ok := b.match(prefs...)
	return b.tags[i].String(), ok
}

// parsePref reads one preference into groups of tags to match together:
// an Accept-Language list is one group (the matcher weighs it), a
// space-separated list one group per tag, in order.
func parsePref(p string) [][]language.Tag {
	p = strings.TrimSpace(p)
	if p == "" || len(p) > 512 {
		return nil
	}
	if strings.ContainsAny(p, ",;") {
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil {
			return nil
		}
		return [][]language.Tag{tags}
	}
	var out [][]language.Tag
	for _, f := range strings.Fields(p) {
		if t, err := language.Parse(f); err == nil {
			out = append(out, []language.Tag{t})
		}
	}
	return out
}
