package kiosk

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units; the stylesheet scales it to the
// screen.
const (
	chartW, chartH = 720, 320
	plotTop        = 36  // room for values above the bars
	plotBottom     = 280 // room for month labels below
	plotLeft       = 8
	plotRight      = chartW - 8
)

// chartSVG draws months as a labelled bar chart, drawn on the server so
// the kiosk needs no script. Bars are proportional to kWh; the peak months
// carry the class "peak". The title and description say in words what the
// bars show, for screen readers.
// tr translates its English words (fmt.Sprintf without a catalogue).
func chartSVG(months []monthUse, tr ...func(string, ...any) string) template.HTML {
	say := fmt.Sprintf
	if len(tr) > 0 {
		say = tr[0]
	}
	monthYear := func(t time.Time) string { return say(t.Format("January")) + " " + t.Format("2006") }
	if len(months) == 0 {
		return ""
	}
	var top float64
	for _, m := range months {
		top = max(top, m.KWh)
	}
	slot := float64(plotRight-plotLeft) / float64(len(months))
	barW := slot * 0.7
	plotH := float64(plotBottom - plotTop)

	var b strings.Builder
	first, last := months[0].Start, months[len(months)-1].Start
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc">`, chartW, chartH)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`, esc(say(
		"Electricity use by month, %s to %s", monthYear(first), monthYear(last))))
	var desc []string
	for _, m := range months {
		desc = append(desc, fmt.Sprintf("%s: %s kWh", monthYear(m.Start), number(m.KWh)))
	}
	fmt.Fprintf(&b, `<desc id="chart-desc">%s.</desc>`, esc(strings.Join(desc, "; ")))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, plotLeft, plotBottom, plotRight, plotBottom)
	for i, m := range months {
		h := 0.0
		if top > 0 {
			h = m.KWh / top * plotH
		}
		x := float64(plotLeft) + slot*float64(i) + (slot-barW)/2
		y := float64(plotBottom) - h
		class := "bar"
		if m.Peak {
			class = "bar peak"
		}
		cx := x + barW/2
		fmt.Fprintf(&b, `<g><rect class="%s" x="%s" y="%s" width="%s" height="%s" data-kwh="%s">`,
			class, f1(x), f1(y), f1(barW), f1(h), strconv.FormatFloat(m.KWh, 'f', -1, 64))
		fmt.Fprintf(&b, `<title>%s</title></rect>`, esc(fmt.Sprintf("%s: %s kWh", monthYear(m.Start), number(m.KWh))))
		fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`, f1(cx), f1(y-8), esc(number(m.KWh)))
		fmt.Fprintf(&b, `<text class="label" x="%s" y="%d" text-anchor="middle">%s</text></g>`, f1(cx), plotBottom+28, esc(say(m.Start.Format("Jan"))))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above went through esc
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
