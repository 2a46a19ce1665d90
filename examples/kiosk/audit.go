package kiosk

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Rules of thumb behind the recommendations, each from a public source a
// person could check.
const (
	// lightingShare is lighting's part of a typical home's electricity
	// (US EIA puts it near 10%), ledSaving what LEDs save over the
	// incandescent bulbs they replace (US DOE: at least 75%).
	lightingShare = 0.10
	ledSaving     = 0.75
	// solarYield is what one kW of rooftop panels makes in a year in a
	// typical US location (kWh per kW), panelWatts one modern panel.
	solarYield = 1300
	panelWatts = 400
	// evMiles and evKWhPerMile describe a month of ordinary driving in an
	// electric car.
	evMiles      = 1000
	evKWhPerMile = 0.30
)

// monthUse is one bar of the chart.
type monthUse struct {
	Start time.Time
	KWh   float64
	Cost  float64
	Peak  bool // among the highest months
}

// recommendation is one plain-language suggestion on the audit screen:
// English words, which the screen translates, and the numbers to fill in.
type recommendation struct {
	Title, Format string
	Args          []any
}

// Text is the recommendation in English.
func (r recommendation) Text() string { return fmt.Sprintf(r.Format, r.Args...) }

// audit is what the audit screen shows.
type audit struct {
	Months    []monthUse // the last 12, oldest first
	TotalKWh  float64
	TotalCost float64
	Currency  string
	Price     float64
	Peaks     []monthUse // the highest two, highest first
	Recs      []recommendation
}

// newAudit builds the audit from the energy API's monthly summaries.
func newAudit(u *usageAnswer) *audit {
	a := &audit{Currency: u.Tariff.Currency, Price: u.Tariff.PricePerKWh}
	months := u.Months[max(len(u.Months)-12, 0):]
	for _, m := range months {
		a.Months = append(a.Months, monthUse{Start: m.Start, KWh: m.KWh, Cost: m.Cost})
		a.TotalKWh += m.KWh
		a.TotalCost += m.Cost
	}
	order := make([]int, len(a.Months))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case a.Months[i].KWh > a.Months[j].KWh:
			return -1
		case a.Months[i].KWh < a.Months[j].KWh:
			return 1
		}
		return 0
	})
	for _, i := range order[:min(2, len(order))] {
		a.Months[i].Peak = true
		a.Peaks = append(a.Peaks, a.Months[i])
	}
	a.Recs = recommendations(a.TotalKWh, a.Price, a.Currency)
	return a
}

// ledSavings is what switching every bulb to LED would save in a year.
func ledSavings(annualKWh, price float64) (kwh, cost float64) {
	kwh = annualKWh * lightingShare * ledSaving
	return kwh, kwh * price
}

// solarEstimate sizes a rooftop system to cover a year's use, in half-kW
// steps, and what its output would be worth.
func solarEstimate(annualKWh, price float64) (kw float64, panels int, yearly float64) {
	kw = math.Ceil(annualKWh/solarYield*2) / 2
	panels = int(math.Ceil(kw * 1000 / panelWatts))
	return kw, panels, math.Min(annualKWh, kw*solarYield) * price
}

// evCharging is a month of driving an electric car, charged at home.
func evCharging(price float64) (kwh, cost float64) {
	kwh = evMiles * evKWhPerMile
	return kwh, kwh * price
}

func recommendations(annualKWh, price float64, currency string) []recommendation {
	ledKWh, ledCost := ledSavings(annualKWh, price)
	kw, panels, solar := solarEstimate(annualKWh, price)
	evKWh, evCost := evCharging(price)
	return []recommendation{
		{"Switch to LED bulbs",
			"LEDs use about 75%% less power than old bulbs. For your home that is about %s kWh and %s a year.",
			[]any{number(ledKWh), money(ledCost, currency)}},
		{"Rooftop solar",
			"About %s kW of panels (%d panels) would make as much power as you use in a year, worth about %s a year at your rate.",
			[]any{strconv.FormatFloat(kw, 'f', -1, 64), panels, money(solar, currency)}},
		{"Charging an electric car",
			"Driving %s miles a month takes about %s kWh. At your rate of %s per kWh, that is about %s a month.",
			[]any{number(evMiles), number(evKWh), rate(price, currency), money(evCost, currency)}},
	}
}

// number formats a quantity rounded to a whole number, with thousands
// separators: 12,345.
func number(v float64) string {
	s := strconv.FormatInt(int64(math.Round(math.Abs(v))), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if v <= -0.5 {
		s = "-" + s
	}
	return s
}

// money formats whole currency units: $1,234 for USD, 1,234 EUR otherwise.
func money(v float64, currency string) string {
	if currency == "USD" || currency == "" {
		return "$" + number(v)
	}
	return number(v) + " " + currency
}

// rate formats a price per kWh: 16¢ for USD, 0.16 EUR otherwise.
func rate(price float64, currency string) string {
	if currency == "USD" || currency == "" {
		return strconv.FormatFloat(math.Round(price*1000)/10, 'f', -1, 64) + "¢"
	}
	return strconv.FormatFloat(price, 'f', -1, 64) + " " + currency
}
