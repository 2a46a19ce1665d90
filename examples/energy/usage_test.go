package energy

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var dataEnd = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

func TestGenerateUsageDeterministic(t *testing.T) {
	a := GenerateUsage(42, "100200300", 13, dataEnd)
	b := GenerateUsage(42, "100200300", 13, dataEnd)
	if !slices.Equal(a.wh, b.wh) {
		t.Fatal("same seed and customer gave different readings")
	}
	if other := GenerateUsage(42, "100200301", 13, dataEnd); slices.Equal(a.wh, other.wh) {
		t.Error("two customers got the same readings")
	}
	if other := GenerateUsage(43, "100200300", 13, dataEnd); slices.Equal(a.wh, other.wh) {
		t.Error("two seeds gave the same readings")
	}
}

func TestGenerateUsageShape(t *testing.T) {
	u := GenerateUsage(1, "c", 13, dataEnd)
	wantStart := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	wantEnd := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !u.Start.Equal(wantStart) || !u.End.Equal(wantEnd) {
		t.Errorf("range = [%v, %v), want [%v, %v)", u.Start, u.End, wantStart, wantEnd)
	}
	if got, want := u.Len(), int(wantEnd.Sub(wantStart)/time.Hour); got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	months := u.Months()
	if len(months) != 13 {
		t.Fatalf("got %d months, want 13", len(months))
	}
	var sum int64
	for _, r := range u.Readings(u.Start, u.End) {
		sum += int64(r.Wh)
	}
	var monthSum int64
	for _, m := range months {
		monthSum += m.Wh
		if m.PeakStart.Before(m.Start) || !m.PeakStart.Before(m.End) {
			t.Errorf("%s: peak %v outside the month", m.Start.Format("2006-01"), m.PeakStart)
		}
		if got := u.Readings(m.PeakStart, m.PeakStart.Add(time.Hour)); len(got) != 1 || got[0].Wh != m.PeakWh {
			t.Errorf("%s: peak hour reads %v, want %d Wh", m.Start.Format("2006-01"), got, m.PeakWh)
		}
	}
	if sum != monthSum {
		t.Errorf("months add up to %d Wh, readings to %d", monthSum, sum)
	}
}

// TestGenerateUsagePlausible checks many households against what real
// homes use: 4,000 to 17,000 kWh a year, months between 150 and 3,000 kWh,
// no hour below the always-on floor, evenings busier than small hours.
func TestGenerateUsagePlausible(t *testing.T) {
	for i := range 40 {
		c := fmt.Sprintf("cust-%04d", i)
		u := GenerateUsage(7, c, 13, dataEnd)
		var year float64
		for j, m := range u.Months() {
			if k := m.KWh(); k < 150 || k > 3000 {
				t.Errorf("%s %s: %.0f kWh, want 150–3000", c, m.Start.Format("2006-01"), k)
			}
			if j > 0 {
				year += m.KWh()
			}
		}
		if year < 4000 || year > 17000 {
			t.Errorf("%s: %.0f kWh a year, want 4,000–17,000", c, year)
		}
		var evening, night int
		for _, r := range u.Readings(u.Start, u.End) {
			if r.Wh < minWh {
				t.Fatalf("%s: %d Wh at %v, below the floor", c, r.Wh, r.Start)
			}
			switch r.Start.Hour() {
			case 18, 19, 20:
				evening += r.Wh
			case 2, 3, 4:
				night += r.Wh
			}
		}
		if evening <= night {
			t.Errorf("%s: evenings (%d Wh) not above nights (%d Wh)", c, evening, night)
		}
	}
}

func TestReadings(t *testing.T) {
	u := GenerateUsage(1, "c", 2, dataEnd) // Nov and Dec 2025
	at := func(d, h int) time.Time { return time.Date(2025, 12, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"OK", at(1, 0), at(2, 0), 24},
		{"PartialHourStartsNext", at(1, 0).Add(30 * time.Minute), at(1, 3), 2},
		{"ClippedBefore", u.Start.Add(-48 * time.Hour), u.Start.Add(2 * time.Hour), 2},
		{"ClippedAfter", u.End.Add(-time.Hour), u.End.Add(48 * time.Hour), 1},
		{"Empty", at(3, 0), at(3, 0), 0},
		{"Reversed", at(3, 0), at(2, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := u.Readings(tt.from, tt.to)
			if len(got) != tt.want {
				t.Fatalf("got %d readings, want %d", len(got), tt.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Start.Sub(got[i-1].Start) != time.Hour {
					t.Errorf("readings %d and %d are not an hour apart", i-1, i)
				}
			}
		})
	}
}

func BenchmarkGenerateUsage(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		GenerateUsage(1, fmt.Sprint(i), 13, dataEnd)
	}
}
