package energy

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/keypadauth/keypad/rs"
)

// meterReadingID names the one meter reading each usage point has: the
// hourly consumption register.
const meterReadingID = "hourly"

// maxRange bounds one interval-block request.
const maxRange = 31 * 24 * time.Hour

// usageCacheMax bounds how many customers' readings stay in memory (about
// 19 KB each); summaries are recomputed from regenerated readings.
const usageCacheMax = 256

type api struct {
	cfg   Config
	scope string
	log   *slog.Logger
	v     *rs.Verifier

	mu    sync.Mutex
	usage map[string]*Usage // by customer key
}

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint; GET / lists them")
	})
	mux.HandleFunc("GET /api/usage-points", a.protect(a.listUsagePoints))
	mux.HandleFunc("GET /api/usage-points/{id}", a.protect(a.getUsagePoint))
	mux.HandleFunc("GET /api/usage-points/{id}/meter-readings/{mid}/interval-blocks", a.protect(a.intervalBlocks))
	mux.HandleFunc("GET /api/usage-points/{id}/monthly", a.protect(a.monthly))
	return mux
}

// index answers the API's root, which needs no token: what the API is,
// who issues its tokens and where to start, instead of a bare 404 for the
// first URL a developer tries.
func (a *api) index(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name":        "energy usage API (Green Button-style demo)",
		"issuer":      a.cfg.Issuer,
		"scope":       a.scope,
		"description": "send an access token from the issuer with the scope as Authorization: Bearer; start at usage_points",
		"endpoints": map[string]string{
			"usage_points":    "/api/usage-points",
			"usage_point":     "/api/usage-points/{id}",
			"monthly":         "/api/usage-points/{id}/monthly",
			"interval_blocks": "/api/usage-points/{id}/meter-readings/{mid}/interval-blocks",
		},
	})
}

// usageFor returns a customer's readings, generating them on first use.
func (a *api) usageFor(key string) *Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u, ok := a.usage[key]; ok {
		return u
	}
	if len(a.usage) >= usageCacheMax {
		for k := range a.usage { // evict one at random
			delete(a.usage, k)
			break
		}
	}
	u := GenerateUsage(a.cfg.Seed, key, a.cfg.Months, a.cfg.End)
	a.usage[key] = u
	return u
}

// UsagePointID is the id the API gives a customer's usage point: derived
// from the customer key without revealing it.
func UsagePointID(customerKey string) string {
	h := sha256.Sum256([]byte("usage-point:" + customerKey))
	return "up-" + hex.EncodeToString(h[:8])
}

type readingType struct {
	Commodity      string `json:"commodity"`
	UOM            string `json:"uom"`
	IntervalLength int    `json:"interval_length"`
	Accumulation   string `json:"accumulation"`
}

type meterReading struct {
	ID          string      `json:"id"`
	ReadingType readingType `json:"reading_type"`
	DataStart   time.Time   `json:"data_start"`
	DataEnd     time.Time   `json:"data_end"`
}

type usagePoint struct {
	ID              string         `json:"id"`
	ServiceKind     string         `json:"service_kind"`
	ServiceLocation string         `json:"service_location,omitempty"`
	MeterReadings   []meterReading `json:"meter_readings"`
}

func (a *api) point(c Customer) usagePoint {
	u := a.usageFor(c.Key)
	return usagePoint{
		ID: UsagePointID(c.Key), ServiceKind: "electricity", ServiceLocation: c.ServiceAddress,
		MeterReadings: []meterReading{{
			ID:          meterReadingID,
			ReadingType: readingType{Commodity: "electricity", UOM: "Wh", IntervalLength: 3600, Accumulation: "deltaData"},
			DataStart:   u.Start, DataEnd: u.End,
		}},
	}
}

func (a *api) listUsagePoints(w http.ResponseWriter, r *http.Request) {
	points := []usagePoint{}
	if c, ok := a.cfg.Customers(principalFrom(r).Subject); ok {
		points = append(points, a.point(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"usage_points": points})
}

// customer returns the token subject's customer if the path names its
// usage point; anything else, including another customer's, is 404.
func (a *api) customer(w http.ResponseWriter, r *http.Request) (Customer, bool) {
	c, ok := a.cfg.Customers(principalFrom(r).Subject)
	if !ok || r.PathValue("id") != UsagePointID(c.Key) {
		writeError(w, http.StatusNotFound, "not_found", "no such usage point; list yours at /api/usage-points")
		return Customer{}, false
	}
	return c, true
}

func (a *api) getUsagePoint(w http.ResponseWriter, r *http.Request) {
	if c, ok := a.customer(w, r); ok {
		writeJSON(w, http.StatusOK, a.point(c))
	}
}

type intervalReading struct {
	Start    time.Time `json:"start"`
	Duration int       `json:"duration"`
	Value    int       `json:"value"`
}

type intervalBlock struct {
	Start    time.Time         `json:"start"`
	Duration int               `json:"duration"`
	Readings []intervalReading `json:"readings"`
}

// intervalBlocks serves hourly readings in [start, end), one block per
// day as ESPI does. Both bounds are RFC 3339 times or Unix seconds; the
// default is the data's last 7 days.
func (a *api) intervalBlocks(w http.ResponseWriter, r *http.Request) {
	c, ok := a.customer(w, r)
	if !ok {
		return
	}
	if r.PathValue("mid") != meterReadingID {
		writeError(w, http.StatusNotFound, "not_found", "no such meter reading; the usage point lists its meter readings")
		return
	}
	u := a.usageFor(c.Key)
	q := r.URL.Query()
	start, errS := parseTime(q.Get("start"))
	end, errE := parseTime(q.Get("end"))
	if errS != nil || errE != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "start and end must be RFC 3339 times or Unix seconds")
		return
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = u.End
		start = end.Add(-7 * 24 * time.Hour)
	case end.IsZero():
		end = start.Add(7 * 24 * time.Hour)
	case start.IsZero():
		start = end.Add(-7 * 24 * time.Hour)
	}
	if !start.Before(end) || end.Sub(start) > maxRange {
		writeError(w, http.StatusBadRequest, "invalid_request", "start must be before end, at most 31 days apart")
		return
	}
	blocks := []intervalBlock{}
	for _, rd := range u.Readings(start, end) {
		local := rd.Start.In(u.End.Location())
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location())
		if n := len(blocks); n == 0 || !blocks[n-1].Start.Equal(day) {
			blocks = append(blocks, intervalBlock{Start: day, Duration: int(day.AddDate(0, 0, 1).Sub(day) / time.Second)})
		}
		b := &blocks[len(blocks)-1]
		b.Readings = append(b.Readings, intervalReading{Start: rd.Start, Duration: 3600, Value: rd.Wh})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"usage_point": UsagePointID(c.Key), "meter_reading": meterReadingID, "uom": "Wh",
		"interval_blocks": blocks,
	})
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Parse(time.RFC3339, s)
}

type peak struct {
	Start time.Time `json:"start"`
	KWh   float64   `json:"kwh"`
}

type monthSummary struct {
	Month string    `json:"month"` // YYYY-MM
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Wh    int64     `json:"wh"`
	KWh   float64   `json:"kwh"`
	Cost  float64   `json:"cost"`
	Peak  peak      `json:"peak"`
}

type tariff struct {
	Currency    string  `json:"currency"`
	PricePerKWh float64 `json:"price_per_kwh"`
}

// monthly serves one summary per whole month, oldest first: use, cost at
// the stated flat tariff, and the month's highest hour.
func (a *api) monthly(w http.ResponseWriter, r *http.Request) {
	c, ok := a.customer(w, r)
	if !ok {
		return
	}
	months := []monthSummary{}
	for _, m := range a.usageFor(c.Key).Months() {
		months = append(months, monthSummary{
			Month: m.Start.Format("2006-01"), Start: m.Start, End: m.End,
			Wh: m.Wh, KWh: m.KWh(), Cost: Cost(m.Wh, a.cfg.PricePerKWh),
			Peak: peak{Start: m.PeakStart, KWh: float64(m.PeakWh) / 1000},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"usage_point": UsagePointID(c.Key),
		"tariff":      tariff{Currency: a.cfg.Currency, PricePerKWh: a.cfg.PricePerKWh},
		"months":      months,
	})
}

// Cost is what wh watt-hours cost at a flat price per kWh, rounded to the
// cent: the figure the monthly summaries report.
func Cost(wh int64, pricePerKWh float64) float64 {
	return math.Round(float64(wh)/1000*pricePerKWh*100) / 100
}
