package rs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Introspection answers are cached briefly, by token hash: long enough to
// spare keypad a round trip per API call, short enough that a revocation
// takes effect within seconds. IntrospectTTL is how long an active
// answer is kept.
const (
	IntrospectTTL      = 30 * time.Second
	introspectNegative = 5 * time.Second
	introspectMax      = 10000
)

type introspected struct {
	p     *Principal // nil: inactive
	until time.Time
}

// introspection is the RFC 7662 §2.2 response.
type introspection struct {
	Active    bool     `json:"active"`
	Sub       string   `json:"sub"`
	Scope     string   `json:"scope"`
	ClientID  string   `json:"client_id"`
	Iss       string   `json:"iss"`
	Exp       *float64 `json:"exp"`
	Aud       audience `json:"aud"`
	TokenType string   `json:"token_type"`
	Cnf       cnf      `json:"cnf"`
}

// introspect asks keypad about an opaque token (RFC 7662), authenticating
// with the API's own client credentials.
func (v *Verifier) introspect(ctx context.Context, tok string) (*Principal, error) {
	if strings.HasPrefix(tok, "kp_rt_") {
		return nil, invalidToken("a refresh token is not an access token")
	}
	key, now := tokenKey(tok), v.now()
	v.cacheMu.Lock()
	c, ok := v.cache[key]
	v.cacheMu.Unlock()
	if ok && now.Before(c.until) {
		if c.p == nil {
			return nil, invalidToken("the token is not active")
		}
		return c.p, nil
	}

	p, err := v.askKeypad(ctx, tok)
	if err != nil {
		return nil, err
	}
	c = introspected{p: p.principal, until: now.Add(introspectNegative)}
	if p.principal != nil {
		c.until = now.Add(IntrospectTTL)
		if !p.exp.IsZero() && p.exp.Before(c.until) {
			c.until = p.exp
		}
	}
	v.remember(key, c, now)
	if p.principal == nil {
		return nil, invalidToken(p.why)
	}
	return p.principal, nil
}

type answer struct {
	principal *Principal
	exp       time.Time
	why       string // when principal is nil
}

func (v *Verifier) askKeypad(ctx context.Context, tok string) (answer, error) {
	if v.clientID == "" {
		return answer{}, invalidToken("this API accepts only JWT access tokens")
	}
	v.mu.Lock()
	m, err := v.discover(ctx)
	v.mu.Unlock()
	if err != nil {
		return answer{}, err
	}
	if m.IntrospectionEndpoint == "" {
		return answer{}, fmt.Errorf("%w: metadata has no introspection_endpoint", ErrUnavailable)
	}
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.IntrospectionEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, fmt.Errorf("%w: introspect: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: form-encode the credentials before Basic.
	req.SetBasicAuth(url.QueryEscape(v.clientID), url.QueryEscape(v.clientSecret))
	resp, err := v.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%w: introspect: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("%w: introspect: status %s", ErrUnavailable, resp.Status)
	}
	var in introspection
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&in); err != nil {
		return answer{}, fmt.Errorf("%w: introspect: decode: %v", ErrUnavailable, err)
	}
	var exp time.Time
	if in.Exp != nil {
		exp = unixTime(*in.Exp)
	}
	switch {
	case !in.Active:
		return answer{why: "the token is not active"}, nil
	case in.Iss != "" && in.Iss != v.issuer:
		return answer{why: "the token was issued by another server"}, nil
	case in.Sub == "":
		return answer{why: "the token has no subject"}, nil
	case !exp.IsZero() && !v.now().Before(exp):
		return answer{why: "the token has expired"}, nil
	case v.audience != "" && !in.Aud.has(v.audience):
		return answer{why: "the token is meant for another audience"}, nil
	}
	return answer{
		principal: &Principal{Subject: in.Sub, ClientID: in.ClientID, Scopes: strings.Fields(in.Scope), JKT: in.Cnf.JKT},
		exp:       exp,
	}, nil
}

// remember caches an answer, dropping expired entries (or, if they are all
// fresh, everything) when the cache is full.
func (v *Verifier) remember(key [32]byte, c introspected, now time.Time) {
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if len(v.cache) >= introspectMax {
		for k, e := range v.cache {
			if !now.Before(e.until) {
				delete(v.cache, k)
			}
		}
		if len(v.cache) >= introspectMax {
			clear(v.cache)
		}
	}
	v.cache[key] = c
}
