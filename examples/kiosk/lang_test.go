package kiosk

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// kioskWords returns every English phrase the kiosk shows: the tr keys of
// its templates, and in its Go code the string literals given to tr,
// problem, retype and the chart's say, the notices, and the
// recommendations.
func kioskWords(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	add := func(s string) {
		if strings.ContainsFunc(s, func(r rune) bool { return r >= 'A' && r <= 'z' }) && !strings.HasPrefix(s, "/") {
			set[s] = true
		}
	}
	tmpl := regexp.MustCompile(`\{\{tr \$?\.Lang "((?:[^"\\]|\\.)*)"`)
	pages, _ := filepath.Glob("templates/*.html")
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tmpl.FindAllStringSubmatch(string(b), -1) {
			s, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				t.Fatal(err)
			}
			add(s)
		}
	}
	lit := func(e ast.Expr) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			s, _ := strconv.Unquote(b.Value)
			add(s)
		}
	}
	calls := []string{"tr", "problem", "retype", "say"}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if slices.Contains(calls, name) {
					for _, a := range n.Args {
						lit(a)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Notice" {
					lit(n.Value)
				}
			case *ast.ValueSpec:
				if len(n.Names) == 1 && n.Names[0].Name == "notices" {
					ast.Inspect(n, func(m ast.Node) bool {
						if kv, ok := m.(*ast.KeyValueExpr); ok {
							lit(kv.Value)
						}
						return true
					})
				}
			case *ast.CompositeLit:
				if a, ok := n.Type.(*ast.ArrayType); ok {
					if id, ok := a.Elt.(*ast.Ident); ok && id.Name == "recommendation" {
						for _, e := range n.Elts {
							for _, x := range e.(*ast.CompositeLit).Elts {
								lit(x)
							}
						}
					}
				}
			}
			return true
		})
	}
	// The chart and the peaks name months (time.Month's English names).
	for m := time.January; m <= time.December; m++ {
		add(m.String())
		add(m.String()[:3])
	}
	return slices.Sorted(func(yield func(string) bool) {
		for s := range set {
			if !yield(s) {
				return
			}
		}
	})
}

var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)

// TestCatalogueComplete: every phrase the kiosk shows has a translation in
// every catalogue, with the same fmt verbs in the same order.
func TestCatalogueComplete(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	words := kioskWords(t)
	if len(words) < 60 {
		t.Fatalf("found %d phrases; the scan is broken", len(words))
	}
	for _, lang := range c.tags[1:] {
		for _, w := range words {
			got, ok := c.text[lang][w]
			if !ok {
				t.Errorf("messages/%s.txt lacks\nen: %s", lang, w)
				continue
			}
			if a, b := verbRE.FindAllString(w, -1), verbRE.FindAllString(got, -1); !slices.Equal(a, b) {
				t.Errorf("messages/%s.txt: %q has verbs %v, want %v as in %q", lang, got, b, a, w)
			}
		}
		for k := range c.text[lang] {
			if !slices.Contains(words, k) {
				t.Errorf("messages/%s.txt translates %q, which the kiosk never shows", lang, k)
			}
		}
	}
}

func TestSetLanguage(t *testing.T) {
	e := newEnv(t, setup{})
	h := e.k.routes()
	post := func(form string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/lang", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	tests := []struct {
		name, form string
		status     int
		location   string
		cookie     string
	}{
		{"OK", "lang=es&back=/channel", http.StatusSeeOther, "/channel", "kiosk_lang=es"},
		{"OKStart", "lang=en&back=/", http.StatusSeeOther, "/", "kiosk_lang=en"},
		{"OtherSiteBackIsStart", "lang=es&back=https://evil.example/", http.StatusSeeOther, "/", "kiosk_lang=es"},
		{"ErrUnknownLanguage", "lang=fr&back=/", http.StatusBadRequest, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(tt.form)
			if w.Code != tt.status || w.Header().Get("Location") != tt.location || !strings.HasPrefix(w.Header().Get("Set-Cookie"), tt.cookie) {
				t.Errorf("POST /lang %s = %d, Location %q, Set-Cookie %q; want %d, %q, %q", tt.form, w.Code,
					w.Header().Get("Location"), w.Header().Get("Set-Cookie"), tt.status, tt.location, tt.cookie)
			}
		})
	}
}
