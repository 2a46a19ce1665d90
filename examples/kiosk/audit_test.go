package kiosk

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"
)

func TestRecommendationArithmetic(t *testing.T) {
	tests := []struct {
		name                 string
		annual, price        float64
		ledKWh, ledCost      float64
		kw                   float64
		panels               int
		solarYearly          float64
		evKWh, evMonthlyCost float64
	}{
		{"Typical", 10000, 0.16, 750, 120, 8, 20, 1600, 300, 48},
		{"ExactSize", 6500, 0.20, 487.5, 97.5, 5, 13, 1300, 300, 60},
		{"Small", 1000, 0.10, 75, 7.5, 1, 3, 100, 300, 30},
		{"Nothing", 0, 0.16, 0, 0, 0, 0, 0, 300, 48},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, c := ledSavings(tt.annual, tt.price); !near(k, tt.ledKWh) || !near(c, tt.ledCost) {
				t.Errorf("ledSavings = %v kWh, %v; want %v, %v", k, c, tt.ledKWh, tt.ledCost)
			}
			if kw, n, y := solarEstimate(tt.annual, tt.price); !near(kw, tt.kw) || n != tt.panels || !near(y, tt.solarYearly) {
				t.Errorf("solarEstimate = %v kW, %d panels, %v/yr; want %v, %d, %v", kw, n, y, tt.kw, tt.panels, tt.solarYearly)
			}
			if k, c := evCharging(tt.price); !near(k, tt.evKWh) || !near(c, tt.evMonthlyCost) {
				t.Errorf("evCharging = %v kWh, %v; want %v, %v", k, c, tt.evKWh, tt.evMonthlyCost)
			}
		})
	}
}

func TestRecommendationWords(t *testing.T) {
	recs := recommendations(10000, 0.16, "USD")
	want := []string{"about 750 kWh and $120 a year", "About 8 kW of panels (20 panels)", "worth about $1,600 a year",
		"At your rate of 16¢ per kWh, that is about $48 a month"}
	all := ""
	for _, r := range recs {
		all += r.Text() + "\n"
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("recommendations lack %q:\n%s", w, all)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{number(0), "0"},
		{number(999.4), "999"},
		{number(999.5), "1,000"},
		{number(1234567.2), "1,234,567"},
		{number(-1234), "-1,234"},
		{money(1637.4, "USD"), "$1,637"},
		{money(12, "EUR"), "12 EUR"},
		{rate(0.16, "USD"), "16¢"},
		{rate(0.125, "USD"), "12.5¢"},
		{rate(0.3, "EUR"), "0.3 EUR"},
		{seconds(0, 30*time.Second), "30 seconds"},
		{seconds(1500*time.Millisecond, time.Second), "2 seconds"},
		{seconds(time.Second, 0), "1 second"},
		{seconds(2*time.Minute, 0), "120 seconds"},
		{seconds(2*time.Minute+time.Second, 0), "3 minutes"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestNewAudit(t *testing.T) {
	u := &usageAnswer{}
	u.Tariff.Currency, u.Tariff.PricePerKWh = "USD", 0.16
	kwh := []float64{900, 850, 700, 500, 450, 600, 1200, 1250, 800, 500, 650, 800, 950} // 13 months
	for i, k := range kwh {
		u.Months = append(u.Months, struct {
			Start time.Time `json:"start"`
			KWh   float64   `json:"kwh"`
			Cost  float64   `json:"cost"`
		}{time.Date(2024, time.Month(12+i), 1, 0, 0, 0, 0, time.UTC), k, k * 0.16})
	}
	a := newAudit(u)
	if len(a.Months) != 12 || a.Months[0].Start.Month() != time.January {
		t.Fatalf("got %d months from %v, want the last 12 from January", len(a.Months), a.Months[0].Start)
	}
	if want := 9250.0; a.TotalKWh != want {
		t.Errorf("total %v kWh, want %v (the first of 13 months left out)", a.TotalKWh, want)
	}
	if len(a.Peaks) != 2 || a.Peaks[0].Start.Month() != time.July || a.Peaks[1].Start.Month() != time.June {
		t.Errorf("peaks = %v, want July then June", a.Peaks)
	}
}

// svgDoc is the part of the chart the test reads back.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Title   string   `xml:"title"`
	Desc    string   `xml:"desc"`
	Groups  []struct {
		Rect struct {
			Class  string  `xml:"class,attr"`
			Height float64 `xml:"height,attr"`
			Y      float64 `xml:"y,attr"`
			KWh    float64 `xml:"data-kwh,attr"`
			Title  string  `xml:"title"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func TestChart(t *testing.T) {
	var months []monthUse
	for i, k := range []float64{812.4, 700, 650, 500, 480, 900, 1250.6, 1200, 820, 510, 640, 0} {
		months = append(months, monthUse{Start: time.Date(2025, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC), KWh: k, Peak: i == 6 || i == 7})
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(chartSVG(months)), &doc); err != nil {
		t.Fatalf("chart is not well-formed XML: %v", err)
	}
	if !strings.Contains(doc.Title, "January 2025 to December 2025") {
		t.Errorf("title = %q", doc.Title)
	}
	if !strings.Contains(doc.Desc, "July 2025: 1,251 kWh") {
		t.Errorf("desc = %q, want every month in words", doc.Desc)
	}
	if len(doc.Groups) != 12 {
		t.Fatalf("got %d bars, want 12", len(doc.Groups))
	}
	tallest := doc.Groups[6].Rect
	if tallest.Height != plotBottom-plotTop {
		t.Errorf("the highest month is %v tall, want the full %d", tallest.Height, plotBottom-plotTop)
	}
	peaks := 0
	for i, g := range doc.Groups {
		r := g.Rect
		if r.KWh != months[i].KWh {
			t.Errorf("bar %d: data-kwh %v, want %v", i, r.KWh, months[i].KWh)
		}
		if want := months[i].KWh / 1250.6 * (plotBottom - plotTop); math.Abs(r.Height-want) > 0.06 {
			t.Errorf("bar %d: height %v, want %v (proportional)", i, r.Height, want)
		}
		if math.Abs(r.Y+r.Height-plotBottom) > 0.06 {
			t.Errorf("bar %d does not stand on the axis: y %v + height %v", i, r.Y, r.Height)
		}
		if strings.Contains(r.Class, "peak") {
			peaks++
		}
		if len(g.Texts) != 2 || g.Texts[1] != months[i].Start.Format("Jan") {
			t.Errorf("bar %d: texts %v, want a value and %q", i, g.Texts, months[i].Start.Format("Jan"))
		}
	}
	if peaks != 2 {
		t.Errorf("%d bars marked peak, want 2", peaks)
	}
	if chartSVG(nil) != "" {
		t.Error("a chart of no months is not empty")
	}
}
