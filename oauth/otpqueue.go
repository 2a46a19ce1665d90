package oauth

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/token"
)

// The durable send queue. /oauth2/otp/send only queues a code's message
// (in the store, in the transaction that makes the code valid) and
// answers; a worker on every instance claims due messages, delivers them,
// retries transient failures with back-off and gives up after a bounded
// time. The answer therefore takes the same time whether a message goes
// out (a known person) or not (a decoy): the provider's latency never
// reaches the client. A crash loses nothing: the message waits in the
// store for the next worker, on this instance or another.
//
// The message holds the code, so the store keeps it sealed under the
// server secret, bound to its session, and drops it once delivered or
// given up.

// Pacing of the queue's worker.
const (
	// otpQueuePoll is how often a worker looks for due messages. The
	// worker runs on this beat alone, never woken by a send: its work
	// (claim, provider, settle, audit) then lands on whatever requests
	// are running at the tick, not right behind the send of a real
	// message, where it would slow that answer and tell a customer from a
	// decoy (docs/security.md, Timing). The price is up to this much
	// delay before a message goes out.
	otpQueuePoll = 250 * time.Millisecond
	// otpQueueLease is how long a claim holds; it must outlast a send, so
	// it is well above otpSendTimeout.
	otpQueueLease = 2 * time.Minute
	// otpSendTimeout bounds one try at the provider.
	otpSendTimeout = 30 * time.Second
	// otpRetryMax caps the back-off between tries (1s, 2s, 4s, ... 30s).
	otpRetryMax = 30 * time.Second
	// otpSendKept is how long a settled send's record stays, for support.
	otpSendKept = 24 * time.Hour
)

// otpQueue is the OTP flow's side of the queue: it seals messages into
// jobs, and its worker delivers them.
type otpQueue struct {
	f      *otpFlow
	sealer *token.Sealer
	// worker names this instance's worker in its claims.
	worker string
	// pass lets one DeliverOTPQueue run at a time on this instance, so a
	// call returns only when what was due has been handled, also by a
	// pass already under way.
	pass sync.Mutex
}

func newOTPQueue(f *otpFlow, sealer *token.Sealer) (*otpQueue, error) {
	id := make([]byte, 8)
	if _, err := f.s.rand.Read(id); err != nil {
		return nil, fmt.Errorf("otp queue: worker id: %w", err)
	}
	return &otpQueue{f: f, sealer: sealer, worker: "w-" + hex.EncodeToString(id)}, nil
}

// giveUpAfter is how long the worker keeps trying a message: half the
// code's lifetime, so a code that arrives still has time to be typed.
func (q *otpQueue) giveUpAfter() time.Duration { return q.f.cfg.CodeLifetime / 2 }

// sealAD binds a sealed message to its session and channel, so a message
// moved to another record does not open.
func sealAD(sessionHash []byte, channel string) []byte {
	return append(append([]byte("keypad/otp-send/v1\x00"), sessionHash...), channel...)
}

// job seals m into a queued send charged to charged at now.
func (q *otpQueue) job(o *keypad.OTPSession, ch keypad.OTPChannel, m notify.Message, charged []string, now time.Time) (*keypad.OTPSend, error) {
	pt, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("otp send: encode message: %w", err)
	}
	sealed, err := q.sealer.Seal(pt, sealAD(o.Hash, ch.Type))
	clear(pt)
	if err != nil {
		return nil, fmt.Errorf("otp send: seal message: %w", err)
	}
	return &keypad.OTPSend{
		SessionHash: o.Hash, Channel: ch.Type, Sealed: sealed,
		ClientID: o.ClientID, Subject: o.Subject, Charges: charged, ChargedAt: now,
		Status: keypad.OTPSendQueued, CreatedAt: now, DueAt: now,
		GiveUpAt: now.Add(q.giveUpAfter()), ExpiresAt: now.Add(otpSendKept),
	}, nil
}

// RunOTPQueue delivers queued OTP messages until ctx ends, looking for
// due ones (new, retries, those of instances that stopped) every 250 ms.
// Run one per instance; any number of instances may share a store. A message being sent when ctx ends is
// finished and recorded first. Without the OTP flow it returns at once.
func (s *Server) RunOTPQueue(ctx context.Context) {
	if _, err := s.otp(); err != nil {
		return
	}
	tick := time.NewTicker(otpQueuePoll)
	defer tick.Stop()
	for {
		if _, err := s.DeliverOTPQueue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "oauth: deliver queued otp messages", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// DeliverOTPQueue claims and handles every message due now, one at a
// time, and returns how many it handled (sent, retried later or given
// up). It first waits for a pass already running on this instance, so
// when it returns every message due at the call was handled, here or by
// another instance. RunOTPQueue calls it; tests call it to deliver
// deterministically, and to wait for the worker.
func (s *Server) DeliverOTPQueue(ctx context.Context) (int, error) {
	f, err := s.otp()
	if err != nil {
		return 0, err
	}
	f.queue.pass.Lock()
	defer f.queue.pass.Unlock()
	n := 0
	for ctx.Err() == nil {
		jobs, err := f.store.ClaimOTPSends(ctx, f.queue.worker, s.now(), otpQueueLease, 1)
		if err != nil {
			return n, fmt.Errorf("claim: %w", err)
		}
		if len(jobs) == 0 {
			return n, nil
		}
		for _, j := range jobs {
			f.queue.deliver(context.WithoutCancel(ctx), j)
			n++
		}
	}
	return n, nil
}

// deliver tries one claimed message and records the outcome.
func (q *otpQueue) deliver(ctx context.Context, j *keypad.OTPSend) {
	f := q.f
	ev := otpEvent{clientID: j.ClientID, subject: j.Subject}
	m, err := q.open(j)
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, otpSendTimeout)
		err = f.router.Send(sctx, m)
		cancel()
		m = notify.Message{}
	}
	j.Attempts++
	now := f.s.now()
	var de *notify.DeliveryError
	permanent := errors.As(err, &de) && de.Permanent || errors.Is(err, token.ErrUnseal)
	switch {
	case err == nil:
		j.Status, j.LastError = keypad.OTPSendSent, ""
		if q.settle(ctx, j) {
			ev.name, ev.detail = "delivered", fmt.Sprintf("channel=%s tries=%d", j.Channel, j.Attempts)
			f.record(ctx, ev)
		}
	case permanent || !now.Before(j.GiveUpAt):
		j.Status, j.LastError = keypad.OTPSendFailed, err.Error()
		if !q.settle(ctx, j) {
			return
		}
		// The provider never accepted it: nobody pays for it.
		f.refund(ctx, j.Charges, j.ChargedAt)
		q.release(ctx, j)
		ev.name, ev.detail = "delivery_failed", fmt.Sprintf("channel=%s tries=%d, gave up: %s", j.Channel, j.Attempts, err)
		f.record(ctx, ev)
	default:
		j.LastError = err.Error()
		j.DueAt = now.Add(min(time.Duration(1)<<(j.Attempts-1)*time.Second, otpRetryMax))
		if j.DueAt.After(j.GiveUpAt) {
			j.DueAt = j.GiveUpAt
		}
		if q.settle(ctx, j) {
			ev.name, ev.detail = "delivery_retry", fmt.Sprintf("channel=%s try=%d: %s", j.Channel, j.Attempts, err)
			f.record(ctx, ev)
		}
	}
}

// open unseals a job's message.
func (q *otpQueue) open(j *keypad.OTPSend) (notify.Message, error) {
	pt, err := q.sealer.Open(j.Sealed, sealAD(j.SessionHash, j.Channel))
	if err != nil {
		return notify.Message{}, fmt.Errorf("open queued message %d: %w", j.ID, err)
	}
	defer clear(pt)
	var m notify.Message
	if err := json.Unmarshal(pt, &m); err != nil {
		return notify.Message{}, fmt.Errorf("decode queued message %d: %w", j.ID, err)
	}
	return m, nil
}

// settle stores a job's outcome; false when this worker lost its claim
// (it outlived its lease and another worker has the message now).
func (q *otpQueue) settle(ctx context.Context, j *keypad.OTPSend) bool {
	err := q.f.store.SettleOTPSend(ctx, j, q.worker)
	if err != nil {
		q.f.s.log.ErrorContext(ctx, "oauth: record an otp message's outcome", "id", j.ID, "status", j.Status, "err", err)
		return false
	}
	return true
}

// release gives the session back the send of a message given up on, if
// it is still the session's newest: the person may ask again at once.
func (q *otpQueue) release(ctx context.Context, j *keypad.OTPSend) {
	_, err := q.f.store.UpdateOTPSession(ctx, j.SessionHash, func(o *keypad.OTPSession) error {
		if o.Status == keypad.OTPPending && o.LastSentAt.Equal(j.ChargedAt) && o.Sends > 0 {
			o.Sends--
			o.LastSentAt = time.Time{}
		}
		return nil
	})
	if err != nil && !errors.Is(err, keypad.ErrNotFound) {
		q.f.s.log.ErrorContext(ctx, "oauth: give back an otp send", "err", err)
	}
}
