package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keypadauth/keypad/internal/browsertest"
)

// TestAxeVendored checks that web/testdata/axe holds the axe-core its
// README names, with its licence, without a browser.
func TestAxeVendored(t *testing.T) {
	dir, err := browsertest.AxeDir()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"axe-core " + browsertest.AxeVersion + ",", "`axe-core@" + browsertest.AxeVersion + "`", "sha256-"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("web/testdata/axe/README.md lacks %q", want)
		}
	}
	license, err := os.ReadFile(filepath.Join(dir, "LICENSE"))
	if err != nil || !strings.HasPrefix(string(license), "Mozilla Public License, version 2.0") {
		t.Errorf("web/testdata/axe/LICENSE is not the MPL-2.0 (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "LICENSE-3RD-PARTY.txt")); err != nil {
		t.Error(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(js), "/*! axe v"+browsertest.AxeVersion+"\n") {
		t.Errorf("axe.min.js starts %q, want the banner of axe v%s", js[:20], browsertest.AxeVersion)
	}
}

// TestAxeFindsViolations runs axe-core over a page that breaks two rules,
// served with a Content Security Policy that allows no script at all:
// axe must run anyway (it comes through the DevTools protocol) and report
// both, as blocking.
func TestAxeFindsViolations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><head><title>bad</title></head><body><main><h1>Bad</h1>` +
			`<p style="color:#bbb;background:#fff">Grey on white</p><form><input type="text" name="q"></form></main></body></html>`))
	}))
	defer srv.Close()
	ctx := browsertest.Start(t)
	browsertest.Do(t, ctx, "open the page", chromedp.Navigate(srv.URL))
	var got []string
	for _, v := range browsertest.Axe(t, ctx) {
		if v.Blocking() {
			got = append(got, v.ID)
		}
	}
	for _, want := range []string{"color-contrast", "label"} {
		if !slices.Contains(got, want) {
			t.Errorf("axe reports %v as blocking, want %s among them", got, want)
		}
	}
}
