package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Keyboard steps: real key events through the DevTools protocol
// (Input.dispatchKeyEvent), as a person without a mouse presses them.
var (
	Tab      = chromedp.KeyEvent(kb.Tab)
	ShiftTab = chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	Enter    = chromedp.KeyEvent(kb.Enter)
	Space    = chromedp.KeyEvent(" ")
)

// EmulateFocus is a step that makes the tab act as the window a person
// is using (Emulation.setFocusEmulationEnabled). A headless tab never
// has the system's focus, so without it :focus and :focus-visible never
// match and an autofocused field would show no indicator.
var EmulateFocus = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	return err
})

// Focus is the focused element (document.activeElement) and how the page
// draws its focus indicator.
type Focus struct {
	Tag  string `json:"tag"` // lower case
	ID   string `json:"id"`
	Name string `json:"name"` // the name attribute
	// Value is the value attribute (a button's action), Class the class
	// attribute, Text the first 60 characters of the text.
	Value string `json:"value"`
	Class string `json:"class"`
	Text  string `json:"text"`
	// Outline style, width (px) and colour, and box-shadow, as computed
	// while the element has focus.
	OutlineStyle string  `json:"outlineStyle"`
	OutlineWidth float64 `json:"outlineWidth"`
	OutlineColor string  `json:"outlineColor"`
	BoxShadow    string  `json:"boxShadow"`
	// Behind is the background colour around the element: the nearest
	// ancestor's that is not transparent (white at the top).
	Behind string `json:"behind"`
	// OnScreen: the element has a size and lies within the viewport.
	OnScreen bool `json:"onScreen"`
}

func (f Focus) String() string {
	s := "<" + f.Tag
	if f.ID != "" {
		s += " id=" + f.ID
	}
	if f.Name != "" {
		s += " name=" + f.Name
	}
	if f.Value != "" {
		s += " value=" + f.Value
	}
	if f.Class != "" {
		s += " class=" + strconv.Quote(f.Class)
	}
	return s + "> " + strconv.Quote(f.Text)
}

const focusScript = `(() => {
	const a = document.activeElement;
	if (!a) return null;
	const cs = getComputedStyle(a);
	let behind = "rgb(255, 255, 255)";
	for (let e = a.parentElement; e; e = e.parentElement) {
		const bg = getComputedStyle(e).backgroundColor;
		if (bg && bg !== "transparent" && !/^rgba\(.*, 0\)$/.test(bg)) { behind = bg; break; }
	}
	const r = a.getBoundingClientRect();
	return {tag: a.tagName.toLowerCase(), id: a.id, name: a.getAttribute("name") || "", value: a.getAttribute("value") || "",
		class: a.getAttribute("class") || "", text: (a.innerText || a.value || "").trim().slice(0, 60),
		outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0, outlineColor: cs.outlineColor,
		boxShadow: cs.boxShadow, behind: behind,
		onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth};
})()`

// ActiveElement reads the focused element.
func ActiveElement(t testing.TB, ctx context.Context) Focus {
	t.Helper()
	f, err := chromedp.Run(ctx, chromedp.Evaluate[Focus](focusScript))
	if err != nil {
		t.Fatalf("browser, read the focused element: %v", err)
	}
	return f
}

// IndicatorProblem says why the focus indicator is not visible enough, or
// "" when it is: an outline at least 2 px wide whose colour has a
// contrast of 3:1 or more with the background around the element (WCAG
// 2.4.7 and 1.4.11), on an element on the screen.
func (f Focus) IndicatorProblem() string {
	if !f.OnScreen {
		return "the element is not on the screen"
	}
	if f.OutlineStyle == "none" || f.OutlineStyle == "hidden" || f.OutlineWidth < 2 {
		return fmt.Sprintf("no outline of 2 px or more (%s %gpx; box-shadow %s)", f.OutlineStyle, f.OutlineWidth, f.BoxShadow)
	}
	ratio, err := Contrast(f.OutlineColor, f.Behind)
	if err != nil {
		return err.Error()
	}
	if ratio < 3 {
		return fmt.Sprintf("the outline %s on %s has a contrast of %.2f:1, want 3:1", f.OutlineColor, f.Behind, ratio)
	}
	return ""
}

var rgbPattern = regexp.MustCompile(`^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$`)

// Contrast is the WCAG contrast ratio of two CSS colours as browsers
// compute them ("rgb(26, 26, 26)"); a translucent colour is an error.
func Contrast(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05), nil
}

func luminance(c string) (float64, error) {
	m := rgbPattern.FindStringSubmatch(c)
	if m == nil || (m[4] != "" && m[4] != "1") {
		return 0, fmt.Errorf("colour %q is not an opaque rgb()", c)
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.Atoi(m[i+1])
		s := float64(v) / 255
		if s <= 0.04045 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		l += w * s
	}
	return l, nil
}

// AccessibleText is the accessible name and description Chromium
// computes for the element that selector finds: what a screen reader
// says when it lands there.
func AccessibleText(t testing.TB, ctx context.Context, selector string) (name, description string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		obj, err := chromedp.Evaluate[*runtime.RemoteObject]("document.querySelector("+strconv.Quote(selector)+")")(ctx, tg)
		if err != nil {
			return err
		}
		if obj.ObjectID == "" {
			return fmt.Errorf("no element %s", selector)
		}
		res, err := cdp.Call(ctx, tg, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: obj.ObjectID, FetchRelatives: new(false)})
		if err != nil {
			return err
		}
		if len(res.Nodes) == 0 {
			return fmt.Errorf("%s has no accessibility node", selector)
		}
		name, description = axString(res.Nodes[0].Name), axString(res.Nodes[0].Description)
		return nil
	}))
	if err != nil {
		t.Fatalf("browser, accessible name of %s: %v", selector, err)
	}
	return name, description
}

func axString(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal([]byte(v.Value), &s) != nil {
		return ""
	}
	return s
}
