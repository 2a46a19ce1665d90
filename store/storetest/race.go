package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// racers is how many goroutines go for one record at once.
const racers = 64

// race runs fn from racers goroutines released together, alternating
// between the two stores, and returns each goroutine's error.
func race(a, b keypad.Store, fn func(s keypad.Store, i int) error) []error {
	stores := [2]keypad.Store{a, b}
	start := make(chan struct{})
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = fn(stores[i%2], i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// mustBeOneWinner checks that exactly one goroutine succeeded and every
// other one got loser.
func mustBeOneWinner(t *testing.T, errs []error, loser error) {
	t.Helper()
	wins, losses := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, loser):
			losses++
		default:
			t.Errorf("goroutine %d: unexpected error %v", i, err)
		}
	}
	if wins != 1 || losses != racers-1 {
		t.Fatalf("got %d winners and %d losers, want 1 and %d", wins, losses, racers-1)
	}
}

func runRaces(t *testing.T, newPair func(t *testing.T) (keypad.Store, keypad.Store)) {
	t.Run("ModifySubject", func(t *testing.T) {
		a, b := newPair(t)
		raceModifySubject(t, a, b)
	})
	t.Run("RegisterWithInitialToken", func(t *testing.T) {
		a, b := newPair(t)
		raceInitialToken(t, a, b)
	})
	t.Run("ConsumeCIBARequest", func(t *testing.T) {
		a, b := newPair(t)
		raceCIBA(t, a, b)
	})
	t.Run("ClaimOTPSends", func(t *testing.T) {
		a, b := newPair(t)
		raceOTPQueue(t, a, b)
	})
	t.Run("ConsumeToken", func(t *testing.T) {
		a, b := newPair(t)
		must(t, a.CreateToken(t.Context(), fullToken("rt")))
		var mu sync.Mutex
		var replayed []*keypad.Token
		errs := race(a, b, func(s keypad.Store, i int) error {
			tok, err := s.ConsumeToken(t.Context(), h("rt"), t0.Add(time.Duration(i)*time.Millisecond))
			if errors.Is(err, keypad.ErrConsumed) {
				mu.Lock()
				replayed = append(replayed, tok)
				mu.Unlock()
			}
			return err
		})
		mustBeOneWinner(t, errs, keypad.ErrConsumed)
		for _, tok := range replayed {
			if tok == nil || tok.FamilyID != "fam1" {
				t.Fatalf("ErrConsumed came with token %+v, want the consumed token", tok)
			}
		}
	})
	t.Run("ConsumePushedRequest", func(t *testing.T) {
		a, b := newPair(t)
		must(t, a.CreatePushedRequest(t.Context(), pushed("ru")))
		errs := race(a, b, func(s keypad.Store, i int) error {
			_, err := s.ConsumePushedRequest(t.Context(), h("ru"), t0.Add(time.Second))
			return err
		})
		mustBeOneWinner(t, errs, keypad.ErrConsumed)
	})
	t.Run("UseDPoPProof", func(t *testing.T) {
		a, b := newPair(t)
		errs := race(a, b, func(s keypad.Store, i int) error {
			return s.UseDPoPProof(t.Context(), h("jkt.jti"), t0, t0.Add(time.Minute))
		})
		mustBeOneWinner(t, errs, keypad.ErrConflict)
	})
	t.Run("CreateCurrentKey", func(t *testing.T) {
		// Instances starting at once on an empty database: one current key
		// per algorithm, whichever store each racer uses.
		a, b := newPair(t)
		errs := race(a, b, func(s keypad.Store, i int) error {
			return s.CreateCurrentKey(t.Context(), &keypad.SigningKey{ID: fmt.Sprintf("k%d", i), Algorithm: keypad.AlgES256,
				PrivateSealed: []byte("sealed"), Public: []byte("public"), CreatedAt: t0})
		})
		mustBeOneWinner(t, errs, keypad.ErrConflict)
		got, err := b.ListKeys(t.Context())
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("%d keys stored, want 1", len(got))
		}
	})
	t.Run("ConsumeAuthCode", func(t *testing.T) {
		a, b := newPair(t)
		code := fullAuthCode("1")
		must(t, a.CreateAuthCode(t.Context(), code))
		errs := race(a, b, func(s keypad.Store, i int) error {
			_, err := s.ConsumeAuthCode(t.Context(), code.Hash, t0.Add(time.Duration(i)*time.Millisecond))
			return err
		})
		mustBeOneWinner(t, errs, keypad.ErrConsumed)
	})
	t.Run("DeviceApprovedThenConsumed", func(t *testing.T) {
		// Every poll of an approved device tries to collect its tokens;
		// only one may.
		a, b := newPair(t)
		d := fullDevice("1")
		d.Status, d.Subject = keypad.DeviceApproved, "alice"
		must(t, a.CreateDeviceAuthorization(t.Context(), d))
		errs := race(a, b, func(s keypad.Store, i int) error {
			_, err := s.UpdateDeviceAuthorization(t.Context(), d.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
				if d.Status != keypad.DeviceApproved {
					return keypad.ErrConsumed
				}
				d.Status = keypad.DeviceConsumed
				return nil
			})
			return err
		})
		mustBeOneWinner(t, errs, keypad.ErrConsumed)
		got, err := a.GetDeviceAuthorization(t.Context(), d.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "status", got.Status, keypad.DeviceConsumed)
	})
	t.Run("UpdateLosesNoWrites", func(t *testing.T) {
		// Each slow_down and each wrong OTP must count: concurrent
		// read-modify-writes run one after the other.
		a, b := newPair(t)
		d, o := fullDevice("1"), fullOTP("1")
		must(t, a.CreateDeviceAuthorization(t.Context(), d))
		must(t, a.CreateOTPSession(t.Context(), o))
		errs := race(a, b, func(s keypad.Store, i int) error {
			if i%2 == 0 {
				_, err := s.UpdateDeviceAuthorization(t.Context(), d.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
					d.Interval += time.Second
					return nil
				})
				return err
			}
			_, err := s.UpdateOTPSession(t.Context(), o.Hash, func(o *keypad.OTPSession) error {
				o.FailedAttempts++
				return nil
			})
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", i, err)
			}
		}
		gotD, err := a.GetDeviceAuthorization(t.Context(), d.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "interval", gotD.Interval, d.Interval+racers/2*time.Second)
		gotO, err := b.GetOTPSession(t.Context(), o.Hash)
		must(t, err)
		mustEqual(t, "failed attempts", gotO.FailedAttempts, o.FailedAttempts+racers/2)
	})
	t.Run("UpsertSubjects", func(t *testing.T) {
		// Every goroutine imports the same customers (as two keypads
		// running the same nightly import would), each with its own
		// version of them: no error, nobody twice, one creation each,
		// and the identifier index holds exactly the winning versions.
		a, b := newPair(t)
		const customers = 20
		version := func(c, i int) *keypad.Subject {
			return imported(fmt.Sprintf("s%02d-%02d", c, i), fmt.Sprintf("C-%02d", c), fmt.Sprintf("version %d", i),
				email(fmt.Sprintf("c%02d-v%02d@example.com", c, i)), mainStreet)
		}
		results := make([]keypad.UpsertResult, racers)
		errs := race(a, b, func(s keypad.Store, i int) error {
			var batch []*keypad.Subject
			for c := range customers {
				batch = append(batch, version(c, i))
			}
			var err error
			results[i], err = s.UpsertSubjects(t.Context(), batch)
			return err
		})
		total := [4]int{}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
			r := results[i]
			total[0], total[1], total[2], total[3] = total[0]+r.Created, total[1]+r.Updated, total[2]+r.Unchanged, total[3]+len(r.Conflicts)
		}
		mustEqual(t, "created, updated, unchanged, conflicts", total, [4]int{customers, racers*customers - customers, 0, 0})
		found, err := a.FindSubjects(t.Context(), mainStreet)
		must(t, err)
		mustEqual(t, "customers", len(found), customers)
		for _, sub := range found {
			var c, v int
			if _, err := fmt.Sscanf(sub.Name, "version %d", &v); err != nil {
				t.Fatalf("subject %+v: %v", sub, err)
			}
			if _, err := fmt.Sscanf(sub.ExternalID, "C-%d", &c); err != nil {
				t.Fatalf("subject %+v: %v", sub, err)
			}
			// Whoever created it chose the ID; the last writer the rest.
			want := version(c, v)
			if !strings.HasPrefix(sub.ID, fmt.Sprintf("s%02d-", c)) || !slices.Equal(sub.Identifiers, want.Identifiers) {
				t.Fatalf("customer %d = %+v, want version %d", c, sub, v)
			}
			for i := range racers {
				ident := version(c, i).Identifiers[0]
				if i == v {
					mustFind(t, b, ident, sub.ID)
				} else {
					mustFind(t, b, ident)
				}
			}
		}
	})
	t.Run("UpsertSubjectsUsername", func(t *testing.T) {
		// Many new people want one username at once: one gets it, the
		// others are conflicts, not errors.
		a, b := newPair(t)
		errs := race(a, b, func(s keypad.Store, i int) error {
			sub := imported(fmt.Sprintf("s%02d", i), fmt.Sprintf("C-%02d", i), "")
			sub.Username = "popular"
			res, err := s.UpsertSubjects(t.Context(), []*keypad.Subject{sub})
			if err == nil && res.Outcomes[0] == keypad.UpsertConflict {
				err = keypad.ErrConflict
			}
			return err
		})
		mustBeOneWinner(t, errs, keypad.ErrConflict)
	})
	t.Run("Hit", func(t *testing.T) {
		a, b := newPair(t)
		counts := make([]int64, racers)
		errs := race(a, b, func(s keypad.Store, i int) error {
			n, err := s.Hit(t.Context(), "otp:alice", time.Hour, t0)
			counts[i] = n
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
		}
		slices.Sort(counts)
		want := make([]int64, racers)
		for i := range want {
			want[i] = int64(i + 1)
		}
		mustEqual(t, "counts handed out", counts, want)
		n, err := b.Count(t.Context(), "otp:alice", t0)
		must(t, err)
		mustEqual(t, "final count", n, int64(racers))
	})
	t.Run("HitUnderCap", func(t *testing.T) {
		// A cap charged before the work: whoever finds the count past the
		// cap takes its hit back. Exactly max racers get through, however
		// they interleave, and the count ends at max.
		const max = 5
		a, b := newPair(t)
		through := make([]bool, racers)
		errs := race(a, b, func(s keypad.Store, i int) error {
			n, err := s.Hit(t.Context(), "otp:dest", time.Hour, t0)
			if err != nil {
				return err
			}
			if n > max {
				return s.Unhit(t.Context(), "otp:dest", time.Hour, t0)
			}
			through[i] = true
			return nil
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
		}
		mustEqual(t, "racers through the cap", countTrue(through), max)
		n, err := b.Count(t.Context(), "otp:dest", t0)
		must(t, err)
		mustEqual(t, "final count", n, int64(max))
	})
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
