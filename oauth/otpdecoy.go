package oauth

import (
	"context"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// Decoys are drawn from the real directory (identifier.DecoyModel), so
// that no hint is always real or never real. The model is a sample of the
// people keypad knows, read again every decoyModelTTL: reading it costs
// one bounded store query, and it is read whatever the lookup finds, so
// the store work of a lookup still does not tell a customer from a
// stranger.
const (
	decoySampleSize = 1000
	decoyModelTTL   = 10 * time.Minute
)

// decoyModels caches the decoy model of one flow.
type decoyModels struct {
	mu    sync.Mutex
	model *identifier.DecoyModel
	read  time.Time
	// standIn is a person of the sample, whose channels a decoy lookup
	// works out (and throws away) as a real lookup works out the person's.
	standIn *keypad.Subject
}

// standIn returns a person of the current sample, or nil.
func (f *otpFlow) standIn() *keypad.Subject {
	f.decoys.mu.Lock()
	defer f.decoys.mu.Unlock()
	return f.decoys.standIn
}

// decoyModel returns the model to draw decoys from, reading a new sample
// when the cached one is older than decoyModelTTL. A failed read keeps
// the old model (the built-in one at first) and is logged: decoys must
// still be answered.
func (f *otpFlow) decoyModel(ctx context.Context) *identifier.DecoyModel {
	d := &f.decoys
	d.mu.Lock()
	defer d.mu.Unlock()
	now := f.s.now()
	if d.model != nil && now.Sub(d.read) < decoyModelTTL && !now.Before(d.read) {
		return d.model
	}
	// The first people by ID: IDs are random (HMACs of external IDs, or
	// random), so this is a fair sample, and the same one next time, so
	// decoys stay put while the directory does.
	people, err := f.store.ListSubjects(ctx, "", decoySampleSize)
	if err != nil {
		f.s.log.ErrorContext(ctx, "oauth: sample people for decoys", "err", err)
		if d.model == nil {
			d.model = &identifier.DecoyModel{}
		}
		d.read = now
		return d.model
	}
	d.model, d.read = identifier.NewDecoyModel(f.sampleChannels(people)), now
	d.standIn = nil
	if len(people) > 0 {
		d.standIn = people[0]
	}
	return d.model
}

// sampleChannels lists the channels each person would be offered, as
// subjectChannels does but without the hints, and reading each country
// once per area code: parsing phone numbers is most of a refresh's work.
func (f *otpFlow) sampleChannels(people []*keypad.Subject) [][]keypad.OTPChannel {
	country := map[string]string{}
	out := make([][]keypad.OTPChannel, len(people))
	for i, s := range people {
		if s.Phone != "" {
			area := s.Phone
			if len(area) > 10 {
				area = area[:len(area)-7] // "+1415": the country code and area code
			}
			c, ok := country[area]
			if !ok {
				c = identifier.Country(s.Phone)
				country[area] = c
			}
			if f.offers(identifier.ChannelSMS, c) {
				out[i] = append(out[i], keypad.OTPChannel{Type: identifier.ChannelSMS, Destination: s.Phone})
			}
		}
		if s.Email != "" && f.offers(identifier.ChannelEmail, "") {
			out[i] = append(out[i], keypad.OTPChannel{Type: identifier.ChannelEmail, Destination: s.Email})
		}
	}
	return out
}
