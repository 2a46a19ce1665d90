package ratelimit

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address a request came from. It is r.RemoteAddr
// unless header names a header set by a trusted reverse proxy (say
// "X-Forwarded-For" or "X-Real-IP"), in which case it is the address that
// proxy saw: for X-Forwarded-For the right-most entry, because the proxy
// appends and every entry to its left was written by the client and may
// be forged. Configure a header only when keypad is reachable solely
// through such a proxy. An unparsable value falls back to RemoteAddr.
func ClientIP(r *http.Request, header string) string {
	if header != "" {
		if v := r.Header.Values(header); len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return a.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

// IPKey is the unit an address is counted by: IPv4 addresses one by one,
// IPv6 addresses by their /64, since one subscriber usually holds a whole
// /64 and could otherwise step through 2^64 addresses.
func IPKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
