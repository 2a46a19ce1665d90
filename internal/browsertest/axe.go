package browsertest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the version of axe-core vendored in web/testdata/axe;
// axeSRI is the hash its package's sri-history.json gives axe.min.js.
// Both are checked before the file runs in a page.
const (
	AxeVersion = "4.14.1"
	axeSRI     = "sha256-KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="
)

// AxeTags are the axe-core rule sets the pages are held to: WCAG 2.0,
// 2.1 and 2.2 at levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeViolation is one axe-core rule that a page breaks, with the elements
// that break it.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"` // minor, moderate, serious or critical
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		// Target is the CSS selector of the element (a list of them for
		// elements in frames or shadow roots).
		Target         []any  `json:"target"`
		FailureSummary string `json:"failureSummary"`
	} `json:"nodes"`
}

// Blocking reports whether the violation fails a page: serious and
// critical ones do; minor and moderate ones are logged.
func (v AxeViolation) Blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s, %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\ttarget %v: %s", n.Target, strings.ReplaceAll(n.FailureSummary, "\n", " "))
	}
	return b.String()
}

var axeFile struct {
	once sync.Once
	src  string
	err  error
}

// AxeDir is the directory of the vendored axe-core, found from this
// file's place in the module.
func AxeDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("cannot locate the module from %q (built with -trimpath?)", file)
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "web", "testdata", "axe"), nil
}

// axeSource reads axe.min.js once and checks that it is the version and
// the bytes web/testdata/axe/README.md names.
func axeSource() (string, error) {
	axeFile.once.Do(func() {
		dir, err := AxeDir()
		if err != nil {
			axeFile.err = err
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
		if err != nil {
			axeFile.err = fmt.Errorf("read the vendored axe-core: %w", err)
			return
		}
		sum := sha256.Sum256(b)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != axeSRI {
			axeFile.err = fmt.Errorf("axe.min.js is %s, want %s (axe-core %s)", got, axeSRI, AxeVersion)
			return
		}
		if !strings.HasPrefix(string(b), "/*! axe v"+AxeVersion+"\n") {
			axeFile.err = fmt.Errorf("axe.min.js does not start with the banner of axe v%s", AxeVersion)
			return
		}
		axeFile.src = string(b)
	})
	return axeFile.src, axeFile.err
}

// Axe runs axe-core's AxeTags rules over the page the tab shows and
// returns what they find. The script is evaluated through the DevTools
// protocol (Runtime.evaluate), which the page's Content Security Policy
// does not govern, so the pages need no exception for it.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatal(err)
	}
	version, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof axe === "undefined" ? "" : axe.version`))
	if err != nil {
		t.Fatalf("browser, look for axe-core: %v", err)
	}
	if version == "" {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;0")); err != nil {
			t.Fatalf("browser, load axe-core: %v", err)
		}
		if version, err = chromedp.Run(ctx, chromedp.Evaluate[string](`axe.version`)); err != nil {
			t.Fatalf("browser, read axe-core's version: %v", err)
		}
	}
	if version != AxeVersion {
		t.Fatalf("the page runs axe-core %s, want %s", version, AxeVersion)
	}
	tags, _ := json.Marshal(AxeTags)
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]})` +
		`.then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,` +
		` nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))})))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser, run axe-core: %v", err)
	}
	return out
}

// CheckAxe runs Axe and fails the test for every serious or critical
// violation, naming the page state, the rule, its impact, the elements
// and the rule's help page; minor and moderate ones are logged.
func CheckAxe(t testing.TB, ctx context.Context, state string) {
	t.Helper()
	for _, v := range Axe(t, ctx) {
		if v.Blocking() {
			t.Errorf("axe, %s: %s", state, v)
		} else {
			t.Logf("axe, %s (not blocking): %s", state, v)
		}
	}
}
