package kiosk

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const cookieName = "kiosk"

// visit is one person's time at the kiosk. Handlers hold mu while they
// use it; the token never leaves this struct except toward the energy
// API.
type visit struct {
	mu       sync.Mutex
	lastSeen time.Time

	identifier string // as typed, to show back
	askFor     string // after ambiguous_identifier: "account", "phone" or "email"

	otpSession string
	channels   []channel
	channel    *channel // chosen
	codeLength int
	codeTTL    time.Duration
	resendAt   time.Time

	// "Approve on my phone" (approve.go): the CIBA request, the number
	// both screens show, and when to ask keypad next.
	authReqID    string
	binding      string
	interval     time.Duration
	pollAt       time.Time
	approvalEnds time.Time

	accessToken string
	audit       *audit
}

// visits keeps visits in memory, keyed by the hash of the cookie value so
// the map holds nothing a stolen memory dump could replay as a cookie.
type visits struct {
	mu   sync.Mutex
	m    map[[32]byte]*visit
	idle time.Duration
	now  func() time.Time
	rand io.Reader
}

// state is how a request stands with its visit.
type state int

const (
	noVisit   state = iota // no cookie
	idleVisit              // a cookie for a visit that timed out or ended
	liveVisit
)

// get returns the request's live visit and marks it seen. A visit idle
// for longer than the timeout is forgotten here.
func (vs *visits) get(r *http.Request) (*visit, state) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, noVisit
	}
	key := sha256.Sum256([]byte(c.Value))
	now := vs.now()
	vs.mu.Lock()
	defer vs.mu.Unlock()
	v, ok := vs.m[key]
	if !ok {
		return nil, idleVisit
	}
	if now.Sub(v.lastSeen) >= vs.idle {
		delete(vs.m, key)
		return nil, idleVisit
	}
	v.lastSeen = now
	return v, liveVisit
}

// start begins a new visit, replacing the request's old one, and sets its
// cookie. Idle visits of other people are swept away on the way.
func (vs *visits) start(w http.ResponseWriter, r *http.Request) (*visit, error) {
	vs.drop(r)
	raw := make([]byte, 32)
	if _, err := io.ReadFull(vs.rand, raw); err != nil {
		return nil, fmt.Errorf("new visit: %w", err)
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	now := vs.now()
	v := &visit{lastSeen: now}
	vs.mu.Lock()
	for k, old := range vs.m {
		if now.Sub(old.lastSeen) >= vs.idle {
			delete(vs.m, k)
		}
	}
	vs.m[sha256.Sum256([]byte(value))] = v
	vs.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return v, nil
}

// forget drops the request's visit, if any, and clears its cookie.
func (vs *visits) forget(w http.ResponseWriter, r *http.Request) *visit {
	if _, err := r.Cookie(cookieName); err != nil {
		return nil
	}
	v := vs.drop(r)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return v
}

// drop removes the request's visit from memory and returns it.
func (vs *visits) drop(r *http.Request) *visit {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	key := sha256.Sum256([]byte(c.Value))
	vs.mu.Lock()
	defer vs.mu.Unlock()
	v := vs.m[key]
	delete(vs.m, key)
	return v
}

// len is the number of visits held, for tests.
func (vs *visits) len() int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return len(vs.m)
}
