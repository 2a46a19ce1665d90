package rs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds what the API reads from keypad.
const maxBody = 1 << 20

// metadata is the part of keypad's RFC 8414 document the API needs.
type metadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// metadataURL places the well-known suffix as RFC 8414 §3.1 says: between
// the host and the issuer's path.
func metadataURL(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("issuer %q is not an absolute URL without query or fragment", issuer)
	}
	u.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// discover returns keypad's metadata, fetching it once; a failed fetch is
// retried at most once a second so a down keypad is not hammered.
// Callers hold v.mu.
func (v *Verifier) discover(ctx context.Context) (*metadata, error) {
	if v.meta != nil {
		return v.meta, nil
	}
	now := v.now()
	if !v.metaTried.IsZero() && now.Sub(v.metaTried) < time.Second {
		return nil, fmt.Errorf("%w: metadata: %v", ErrUnavailable, v.metaErr)
	}
	v.metaTried = now
	var m metadata
	if err := v.getJSON(ctx, v.metaURL, &m); err != nil {
		v.metaErr = err
		return nil, fmt.Errorf("%w: metadata: %v", ErrUnavailable, err)
	}
	if m.Issuer != v.issuer {
		v.metaErr = fmt.Errorf("metadata names issuer %q, want %q", m.Issuer, v.issuer)
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, v.metaErr)
	}
	if m.JWKSURI == "" {
		v.metaErr = errors.New("metadata has no jwks_uri")
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, v.metaErr)
	}
	v.meta = &m
	return v.meta, nil
}

// getJSON fetches a JSON document from keypad.
func (v *Verifier) getJSON(ctx context.Context, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(into); err != nil {
		return fmt.Errorf("get %s: decode: %w", u, err)
	}
	return nil
}
