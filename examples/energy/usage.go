package energy

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// Reading is one hour's electricity use, in watt-hours: ESPI's
// IntervalReading with a one-hour timePeriod.
type Reading struct {
	Start time.Time
	Wh    int
}

// Month summarises one calendar month of readings: what a bill, and the
// kiosk's audit, are made of.
type Month struct {
	Start, End time.Time
	Wh         int64
	// PeakStart is the start of the month's highest hour, PeakWh its use.
	PeakStart time.Time
	PeakWh    int
}

// KWh is the month's use in kilowatt-hours.
func (m Month) KWh() float64 { return float64(m.Wh) / 1000 }

// Usage is one customer's synthetic hourly use over whole calendar months.
// Readings are kept as uint16 watt-hours (a home never draws 65 kWh in an
// hour), so 13 months cost about 19 KB.
type Usage struct {
	Customer string
	// Start and End bound the data, [Start, End), on month boundaries in
	// the location of GenerateUsage's end.
	Start, End time.Time
	wh         []uint16
}

// minWh is the always-on floor (fridge, standby) no hour goes below.
const minWh = 60

// GenerateUsage returns months whole calendar months of hourly readings
// for a customer, ending at the start of end's month (in end's location),
// so "13 months ending now" means the 13 full months before this one.
// The result depends only on its arguments: the demo and its tests agree
// on every number. Each customer gets its own plausible household: a
// yearly total between about 5,000 and 15,000 kWh, electric or gas
// heating, more or less air conditioning, morning and evening peaks.
func GenerateUsage(seed int64, customer string, months int, end time.Time) *Usage {
	loc := end.Location()
	stop := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, loc)
	start := stop.AddDate(0, -months, 0)
	n := int(stop.Sub(start) / time.Hour)

	h := fnv.New64a()
	h.Write([]byte(customer))
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	p := newHousehold(r)

	raw := make([]float32, n)
	var sum float64
	for i := range raw {
		v := p.hour(start.Add(time.Duration(i)*time.Hour).In(loc), r)
		raw[i] = float32(v)
		sum += v
	}
	// Scale so that a year of readings adds up to the household's total.
	scale := p.annualKWh * 1000 * float64(n) / (365.25 * 24) / sum
	u := &Usage{Customer: customer, Start: start, End: stop, wh: make([]uint16, n)}
	for i, v := range raw {
		wh := math.Round(float64(v) * scale)
		u.wh[i] = uint16(min(max(wh, minWh), math.MaxUint16))
	}
	return u
}

// household is the hidden shape behind one customer's readings.
type household struct {
	annualKWh        float64
	base             float64 // always-on share of an average hour
	morning, evening float64 // daily peak sizes
	heating          float64 // 0: gas heat
	cooling          float64 // air conditioning
}

func newHousehold(r *rand.Rand) household {
	p := household{
		annualKWh: 5000 + 10000*r.Float64(),
		base:      0.3 + 0.2*r.Float64(),
		morning:   0.3 + 0.4*r.Float64(),
		evening:   0.6 + 0.6*r.Float64(),
		cooling:   0.2 + 1.0*r.Float64(),
	}
	if r.Float64() < 0.3 {
		p.heating = 0.4 + 0.8*r.Float64()
	}
	return p
}

// hour returns one hour's use in arbitrary units (scaled afterwards).
func (p household) hour(t time.Time, r *rand.Rand) float64 {
	// temp runs from -1 (late January) to +1 (late July).
	temp := -math.Cos(2 * math.Pi * float64(t.YearDay()-20) / 365.25)
	cold, hot := max(0, -temp), max(0, temp)
	h := float64(t.Hour())

	v := p.base + p.morning*bump(h, 7.5, 1.3) + p.evening*bump(h, 19, 2) + 0.25*bump(h, 13, 3)
	v += 0.15 * cold * bump(h, 18, 2) // longer evenings, more lighting
	v += p.heating * cold * (0.7 + 0.5*bump(h, 7, 2) + 0.5*bump(h, 20, 3))
	v += p.cooling * hot * hot * (0.3 + 1.2*bump(h, 16, 3))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v *= 1.1
	}
	v *= min(max(1+0.18*r.NormFloat64(), 0.5), 1.8)
	if r.Float64() < 0.02 { // the oven, the dryer
		v += 1 + 2*r.Float64()
	}
	return v
}

// bump is a bell curve over the hours of a day, wrapping at midnight.
func bump(h, mu, sigma float64) float64 {
	d := math.Abs(h - mu)
	d = min(d, 24-d)
	return math.Exp(-d * d / (2 * sigma * sigma))
}

// Len is the number of hourly readings.
func (u *Usage) Len() int { return len(u.wh) }

// Readings returns the readings that start in [from, to), clipped to the
// data's range.
func (u *Usage) Readings(from, to time.Time) []Reading {
	i0, i1 := u.index(from), u.index(to)
	out := make([]Reading, 0, max(i1-i0, 0))
	for i := i0; i < i1; i++ {
		out = append(out, Reading{Start: u.Start.Add(time.Duration(i) * time.Hour), Wh: int(u.wh[i])})
	}
	return out
}

// index is the first reading starting at or after t, within [0, Len].
func (u *Usage) index(t time.Time) int {
	d := t.Sub(u.Start)
	if d <= 0 {
		return 0
	}
	i := int((d + time.Hour - 1) / time.Hour)
	return min(i, len(u.wh))
}

// Months summarises the data month by month, oldest first.
func (u *Usage) Months() []Month {
	var out []Month
	for m := u.Start; m.Before(u.End); m = m.AddDate(0, 1, 0) {
		next := m.AddDate(0, 1, 0)
		s := Month{Start: m, End: next}
		for i := u.index(m); i < u.index(next); i++ {
			wh := int(u.wh[i])
			s.Wh += int64(wh)
			if wh > s.PeakWh {
				s.PeakWh, s.PeakStart = wh, u.Start.Add(time.Duration(i)*time.Hour)
			}
		}
		out = append(out, s)
	}
	return out
}
