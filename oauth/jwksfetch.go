package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/keypadauth/keypad"
)

// Defaults of JWKSFetchConfig.
const (
	DefaultJWKSTimeout     = 5 * time.Second
	DefaultJWKSMaxBytes    = 64 << 10
	DefaultJWKSCacheTTL    = 5 * time.Minute // without a usable Cache-Control
	DefaultJWKSMinCacheTTL = time.Minute
	DefaultJWKSMaxCacheTTL = 24 * time.Hour
	DefaultJWKSRefetch     = time.Minute
)

// JWKSFetchConfig bounds how keypad fetches the key sets that
// private_key_jwt clients publish at a jwks_uri. The URL is chosen by
// whoever registers the client, so the fetch is an SSRF surface: by
// default no loopback, private, link-local or otherwise non-public
// address is dialled (checked on the address actually dialled, so DNS
// cannot steer around it), redirects and proxies are not followed, and
// the time and size are bounded. The zero value means the defaults.
type JWKSFetchConfig struct {
	// AllowPrivate permits fetching from loopback and private addresses:
	// for tests, and for deployments whose clients sit on the same
	// private network. Off by default.
	AllowPrivate bool
	// Timeout bounds one fetch, connection included.
	Timeout time.Duration
	// MaxBytes bounds the response body.
	MaxBytes int64
	// MinCacheTTL and MaxCacheTTL clamp the Cache-Control max-age a
	// client's server sends: no-store or max-age=0 cannot make keypad
	// fetch for every request, and a year-long max-age cannot keep a
	// revoked key alive.
	MinCacheTTL, MaxCacheTTL time.Duration
	// Refetch is how often, at most, an assertion naming a kid keypad
	// does not know makes it fetch the set again before the cache
	// expires (a client that just rotated its keys); more often, and a
	// stream of made-up kids would make keypad hammer the client's server.
	Refetch time.Duration
}

func (c JWKSFetchConfig) withDefaults() JWKSFetchConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, DefaultJWKSTimeout)
	def(&c.MinCacheTTL, DefaultJWKSMinCacheTTL)
	def(&c.MaxCacheTTL, DefaultJWKSMaxCacheTTL)
	def(&c.Refetch, DefaultJWKSRefetch)
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultJWKSMaxBytes
	}
	return c
}

// jwksFetcher fetches and caches clients' published key sets, one entry
// per client and URL. Its zero value is ready; cfg is read on first use.
type jwksFetcher struct {
	once    sync.Once
	cfg     JWKSFetchConfig
	http    *http.Client
	mu      sync.Mutex
	entries map[string]*jwksEntry
}

// jwksEntry is one cached set; its mutex makes concurrent requests of one
// client wait for a single fetch rather than each fetching.
type jwksEntry struct {
	mu      sync.Mutex
	keys    []keypad.AssertionKey
	expires time.Time
	fetched time.Time
}

func (f *jwksFetcher) init(cfg JWKSFetchConfig) {
	f.once.Do(func() {
		f.cfg = cfg.withDefaults()
		f.entries = map[string]*jwksEntry{}
		d := &net.Dialer{Timeout: f.cfg.Timeout}
		if !f.cfg.AllowPrivate {
			d.Control = refusePrivate
		}
		f.http = &http.Client{
			Timeout: f.cfg.Timeout,
			Transport: &http.Transport{
				Proxy:                 nil, // a proxy would dial for us, unchecked
				DialContext:           d.DialContext,
				TLSHandshakeTimeout:   f.cfg.Timeout,
				ResponseHeaderTimeout: f.cfg.Timeout,
				MaxIdleConnsPerHost:   1,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
}

// keys returns the client's published keys, from the cache while it is
// fresh. With unknownKid the caller found no key for an assertion: the set
// is fetched again unless that happened less than Refetch ago. refetched
// says whether this call fetched.
func (f *jwksFetcher) keys(ctx context.Context, c *keypad.Client, now time.Time, unknownKid bool) (keys []keypad.AssertionKey, refetched bool, err error) {
	uri := c.Options.JWKSURI
	f.mu.Lock()
	e := f.entries[c.ID+"\x00"+uri]
	if e == nil {
		e = &jwksEntry{}
		f.entries[c.ID+"\x00"+uri] = e
	}
	f.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	fresh := e.keys != nil && now.Before(e.expires)
	switch {
	case fresh && !unknownKid:
		return e.keys, false, nil
	case fresh && now.Sub(e.fetched) < f.cfg.Refetch:
		return e.keys, false, nil
	}
	keys, ttl, err := f.fetch(ctx, uri)
	if err != nil {
		if fresh {
			return e.keys, false, nil // the cached set stays good until it expires
		}
		return nil, false, err
	}
	e.keys, e.fetched, e.expires = keys, now, now.Add(ttl)
	return keys, true, nil
}

// fetch GETs the set and reads how long it may be cached.
func (f *jwksFetcher) fetch(ctx context.Context, uri string) ([]keypad.AssertionKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks_uri %s: %v", uri, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return nil, 0, fmt.Errorf("jwks_uri %s resolves to a loopback or private address, which keypad does not fetch from (set client_jwks_allow_private to allow it)", uri)
		}
		return nil, 0, fmt.Errorf("jwks_uri %s could not be fetched: %v", uri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwks_uri %s answered HTTP %d; it must answer 200 with a JWK Set (redirects are not followed)", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks_uri %s: reading the body: %v", uri, err)
	}
	if int64(len(body)) > f.cfg.MaxBytes {
		return nil, 0, fmt.Errorf("jwks_uri %s serves more than %d bytes; a JWK Set of a few keys is far smaller", uri, f.cfg.MaxBytes)
	}
	keys, err := keypad.ParseAssertionKeys(body)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks_uri %s: %v", uri, err)
	}
	return keys, f.cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// cacheTTL reads max-age from Cache-Control (RFC 9111 §5.2.2.1), clamped
// to the configured bounds; no-store and no-cache mean the minimum.
func (f *jwksFetcher) cacheTTL(cc string) time.Duration {
	ttl := DefaultJWKSCacheTTL
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return f.cfg.MinCacheTTL
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				ttl = time.Duration(min(n, 1<<32)) * time.Second
			}
		}
	}
	return min(max(ttl, f.cfg.MinCacheTTL), f.cfg.MaxCacheTTL)
}

var errPrivateAddress = errors.New("refusing to dial a non-public address")

// refusePrivate is the dialer's Control: it sees the address after DNS,
// so a name that resolves to 127.0.0.1 or 10.x is refused as surely as
// the literal address.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errPrivateAddress
	}
	ip := ap.Addr().Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		sharedAddressSpace.Contains(ip) {
		return errPrivateAddress
	}
	return nil
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range, private in
// effect though not in netip's IsPrivate.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
