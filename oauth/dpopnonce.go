package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"
)

// dpopNonceAt is the nonce of the time window holding t: an HMAC of the
// window's number under the shared key, so every instance gives out and
// accepts the same nonces without shared state (RFC 9449 §8, §9: the
// server decides what a nonce is).
func (s *Server) dpopNonceAt(t time.Time) string {
	return s.dpopNonceOf(t.UnixNano() / int64(s.cfg.DPoP.NoncePeriod))
}

func (s *Server) dpopNonceOf(window int64) string {
	m := hmac.New(sha256.New, s.cfg.DPoP.NonceKey)
	m.Write([]byte("keypad/dpop-nonce/"))
	binary.Write(m, binary.BigEndian, window)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// dpopNonceValid accepts the nonce of the current window and of the one
// before it, so a nonce given out just before a rotation still works.
func (s *Server) dpopNonceValid(nonce string, now time.Time) bool {
	if nonce == "" {
		return false
	}
	w := now.UnixNano() / int64(s.cfg.DPoP.NoncePeriod)
	ok := false
	for _, cand := range []int64{w, w - 1} {
		if hmac.Equal([]byte(nonce), []byte(s.dpopNonceOf(cand))) {
			ok = true
		}
	}
	return ok
}

// setDPoPNonce gives the current nonce to the client (DPoP-Nonce, §8.1)
// when nonces are required.
func (s *Server) setDPoPNonce(h http.Header) {
	if s.cfg.DPoP.RequireNonce {
		h.Set("DPoP-Nonce", s.dpopNonceAt(s.now()))
	}
}
