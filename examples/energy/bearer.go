package energy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/keypadauth/keypad/rs"
	"github.com/keypadauth/keypad/token/jose"
)

// realm names this API in WWW-Authenticate challenges.
const realm = "energy"

type principalKey struct{}

// protect runs next only for a request carrying a valid token with the
// required scope, and, for a token bound to a DPoP key, a proof of that
// key (RFC 9449 §7); everything else is answered as RFC 6750 §3 says.
func (a *api) protect(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, problem := accessToken(r)
		if problem != "" {
			a.challenge(w, http.StatusBadRequest, rs.CodeInvalidRequest, problem, "")
			return
		}
		if tok == "" {
			// §3.1: no error code when the request had no token at all.
			w.Header().Set("WWW-Authenticate", a.scheme()+` realm="`+realm+`"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "send an access token: Authorization: "+a.scheme()+" <token>")
			return
		}
		p, err := a.v.VerifyRequest(r, scheme, tok, a.requestURL(r))
		if err != nil {
			var te *rs.TokenError
			if errors.As(err, &te) {
				a.challenge(w, http.StatusUnauthorized, te.Code, te.Description, "")
				return
			}
			a.log.Warn("energy: cannot check a token", "err", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable",
				"the authorization server cannot be reached; try again shortly")
			return
		}
		if p.JKT == "" && slices.Contains(a.cfg.DPoPClients, p.ClientID) {
			a.challenge(w, http.StatusUnauthorized, rs.CodeInvalidToken,
				"this client's tokens are accepted only bound to its DPoP key (RFC 9449); get a DPoP-bound token and send it with a proof", "")
			return
		}
		if !p.HasScope(a.scope) {
			a.challenge(w, http.StatusForbidden, "insufficient_scope",
				"the token lacks the "+a.scope+" scope; ask for it when getting the token", a.scope)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func principalFrom(r *http.Request) *rs.Principal {
	return r.Context().Value(principalKey{}).(*rs.Principal)
}

// scheme is the Authorization scheme the API asks for.
func (a *api) scheme() string {
	if a.cfg.RequireDPoP {
		return "DPoP"
	}
	return "Bearer"
}

// requestURL is the URL a DPoP proof for r must name (htu).
func (a *api) requestURL(r *http.Request) string {
	base := a.cfg.PublicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return strings.TrimSuffix(base, "/") + r.URL.Path
}

// accessToken reads the token from the Authorization header, scheme
// Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1). The query-string method
// (§2.3) is refused: tokens in URLs end up in logs. problem is non-empty
// for a malformed request.
func accessToken(r *http.Request) (scheme, tok, problem string) {
	if r.URL.Query().Has("access_token") {
		return "", "", "send the access token in the Authorization header, not in the URL"
	}
	hs := r.Header.Values("Authorization")
	if len(hs) > 1 {
		return "", "", "send one Authorization header"
	}
	if len(hs) == 0 {
		return "", "", ""
	}
	scheme, rest, _ := strings.Cut(hs[0], " ")
	if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "DPoP") {
		return "", "", "" // another scheme: no access token was sent
	}
	tok = strings.TrimSpace(rest)
	if tok == "" || strings.ContainsAny(tok, " \t,\"") {
		return "", "", "the Authorization header does not hold an access token"
	}
	return scheme, tok, ""
}

// challenge answers with an RFC 6750 §3 challenge (RFC 9449 §7.1 for
// DPoP, naming the algorithms) and a JSON body saying the same.
func (a *api) challenge(w http.ResponseWriter, status int, code, description, scope string) {
	v := a.scheme() + ` realm="` + realm + `"`
	if a.cfg.RequireDPoP || code == rs.CodeInvalidDPoPProof {
		v = `DPoP realm="` + realm + `", algs="` + strings.Join(jose.Algorithms(), " ") + `"`
	}
	v += `, error="` + code + `", error_description="` + quotable(description) + `"`
	if scope != "" {
		v += `, scope="` + quotable(scope) + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	writeError(w, status, code, description)
}

// quotable keeps only the characters RFC 6750 §3 allows inside the
// quoted attribute values (%x20-21 / %x23-5B / %x5D-7E).
func quotable(s string) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return '\''
		}
		return c
	}, s)
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
