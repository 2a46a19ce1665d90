package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
)

// Ping mode (CIBA Core §10.2): once the person has decided, keypad POSTs
// {"auth_req_id":…} to the client's registered notification endpoint
// with the client_notification_token as a bearer token; the client then
// fetches the tokens (or the access_denied) with the CIBA grant. The
// ping is durable: the decision marks it due in the request's row, and a
// worker on every instance sends due pings, retrying failures with
// back-off (1s, 2s, 4s, … 60s) until the request expires. A claim is an
// UpdateCIBARequest that pushes the due time past the try, so two
// workers never send one ping at once.

const (
	// cibaPingPoll is how often a worker looks for due pings.
	cibaPingPoll = 250 * time.Millisecond
	// cibaPingTimeout bounds one try, and is the claim's lease.
	cibaPingTimeout = 10 * time.Second
	// cibaPingRetryMax caps the back-off between tries.
	cibaPingRetryMax = time.Minute
)

// cibaPinger sends the pings.
type cibaPinger struct {
	c    *cibaFlow
	http *http.Client
	pass sync.Mutex
}

func newCIBAPinger(c *cibaFlow, hc *http.Client) *cibaPinger {
	if hc == nil {
		hc = &http.Client{
			Timeout: cibaPingTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a redirect is a failure, not a second target
			},
		}
	}
	return &cibaPinger{c: c, http: hc}
}

// RunCIBAPings sends due CIBA pings until ctx ends. Run one per instance;
// any number may share a store. Without CIBA it returns at once.
func (s *Server) RunCIBAPings(ctx context.Context) {
	if _, err := s.ciba(); err != nil {
		return
	}
	tick := time.NewTicker(cibaPingPoll)
	defer tick.Stop()
	for {
		if _, err := s.DeliverCIBAPings(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "oauth: send ciba pings", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// DeliverCIBAPings sends every ping due now, once each, and returns how
// many it tried. Tests call it to ping deterministically.
func (s *Server) DeliverCIBAPings(ctx context.Context) (int, error) {
	c, err := s.ciba()
	if err != nil {
		return 0, err
	}
	p := c.pinger
	p.pass.Lock()
	defer p.pass.Unlock()
	due, err := c.store.ListCIBAPingsDue(ctx, s.now(), 100)
	if err != nil {
		return 0, fmt.Errorf("list due pings: %w", err)
	}
	n := 0
	for _, r := range due {
		if p.try(context.WithoutCancel(ctx), r.Hash) {
			n++
		}
	}
	return n, nil
}

var errPingNotDue = errors.New("ping not due")

// try claims one request's ping, sends it and records the outcome; false
// when another worker had it.
func (p *cibaPinger) try(ctx context.Context, hash []byte) bool {
	c := p.c
	now := c.s.now()
	r, err := c.store.UpdateCIBARequest(ctx, hash, func(r *keypad.CIBARequest) error {
		if r.PingStatus != keypad.CIBAPingDue || now.Before(r.PingDueAt) {
			return errPingNotDue
		}
		r.PingDueAt = now.Add(cibaPingTimeout) // the claim
		r.PingAttempts++
		return nil
	})
	if err != nil {
		if !errors.Is(err, errPingNotDue) && !errors.Is(err, keypad.ErrNotFound) {
			c.s.log.ErrorContext(ctx, "oauth: claim ciba ping", "err", err)
		}
		return false
	}
	sendErr := p.send(ctx, r)
	now = c.s.now()
	status, due := keypad.CIBAPingDone, time.Time{}
	switch {
	case sendErr == nil:
	case !now.Before(r.ExpiresAt):
		status = keypad.CIBAPingFailed
	default:
		status = keypad.CIBAPingDue
		due = now.Add(min(time.Duration(1)<<(r.PingAttempts-1)*time.Second, cibaPingRetryMax))
	}
	_, err = c.store.UpdateCIBARequest(ctx, hash, func(r *keypad.CIBARequest) error {
		r.PingStatus, r.PingDueAt = status, due
		return nil
	})
	if err != nil {
		c.s.log.ErrorContext(ctx, "oauth: record ciba ping", "err", err)
	}
	detail := fmt.Sprintf("try=%d", r.PingAttempts)
	if sendErr != nil {
		detail += ": " + sendErr.Error()
	}
	c.record(ctx, "ping_"+status, r.ClientID, r.Subject, "", detail)
	return true
}

// send POSTs the ping; any answer but 2xx is a failure.
func (p *cibaPinger) send(ctx context.Context, r *keypad.CIBARequest) error {
	c := p.c
	client, err := c.s.clients.GetClient(ctx, r.ClientID)
	if err != nil {
		return fmt.Errorf("read client: %w", err)
	}
	endpoint := client.Options.CIBA.NotificationEndpoint
	if endpoint == "" {
		return errors.New("the client has no notification endpoint any more")
	}
	pt, err := c.sealer.Open(r.NotificationToken, cibaTokenAD(r.Hash))
	if err != nil {
		return fmt.Errorf("open notification token: %w", err)
	}
	var sec cibaPingSecrets
	err = json.Unmarshal(pt, &sec)
	clear(pt)
	if err != nil {
		return fmt.Errorf("decode notification token: %w", err)
	}
	body, _ := json.Marshal(map[string]string{"auth_req_id": sec.AuthReqID})
	ctx, cancel := context.WithTimeout(ctx, cibaPingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("ping request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+sec.Token)
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("ping %s: %w", endpoint, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("ping %s: status %d", endpoint, resp.StatusCode)
	}
	return nil
}
