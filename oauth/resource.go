package oauth

import (
	"net/url"
	"slices"
)

// resourceParam reads the resource indicator of a token request (RFC 8707
// §2): "" when absent, invalid_target when it is not an absolute URI
// without a fragment. The form parser has already refused a repeated one.
func resourceParam(form url.Values) (string, error) {
	r := form.Get("resource")
	if r == "" {
		if form.Has("resource") {
			return "", NewError(CodeInvalidTarget, "resource is empty; send an absolute URI without a fragment, or leave it out (RFC 8707 section 2)")
		}
		return "", nil
	}
	if !validResource(r) {
		return "", NewError(CodeInvalidTarget, "resource '%s' must be an absolute URI without a fragment (RFC 8707 section 2)", r)
	}
	return r, nil
}

// narrowResource applies RFC 8707 §2.2 to a grant that follows an earlier
// authorization (a code, a refresh token): resource at the token endpoint
// may only pick one of the resources granted there (what names them),
// and becomes the access token's aud. Without it the grant's audience
// stays.
func narrowResource(form url.Values, granted []string, what string) ([]string, error) {
	r, err := resourceParam(form)
	if err != nil || r == "" {
		return granted, err
	}
	if !slices.Contains(granted, r) {
		return nil, NewError(CodeInvalidTarget, "resource '%s' was not part of %s; name it there, or leave resource out here", r, what)
	}
	return []string{r}, nil
}

// directAudience is the access token's aud for a grant that has no
// earlier authorization (client credentials, password, OTP, JWT bearer,
// a device code authorized without resources): the resource the request names, if any, which must be one of
// the server's known resources when the authorization code flow lists
// them. nil means the issuer's default audience.
func (s *Server) directAudience(form url.Values) ([]string, error) {
	r, err := resourceParam(form)
	if err != nil || r == "" {
		return nil, err
	}
	if f, ferr := s.authCode(); ferr == nil && len(f.cfg.Resources) > 0 && !slices.Contains(f.cfg.Resources, r) {
		return nil, NewError(CodeInvalidTarget, "resource '%s' is not known here", r)
	}
	return []string{r}, nil
}

// parseResources checks the RFC 8707 resource indicators of a request
// that may name several (§2: an authorization request, a device
// authorization request): each an absolute URI without a fragment, and
// one of the server's known resources when the authorization code flow
// lists them. Duplicates are dropped; none gives nil.
func (s *Server) parseResources(rs []string) ([]string, *Error) {
	var known []string
	if f, err := s.authCode(); err == nil {
		known = f.cfg.Resources
	}
	var out []string
	for _, r := range rs {
		if !validResource(r) {
			return nil, NewError(CodeInvalidTarget, "resource '%s' must be an absolute URI without a fragment (RFC 8707 section 2)", r)
		}
		if len(known) > 0 && !slices.Contains(known, r) {
			return nil, NewError(CodeInvalidTarget, "resource '%s' is not known here", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
