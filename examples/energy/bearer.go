package energy

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// realm names this API in WWW-Authenticate challenges.
const realm = "energy"

type principalKey struct{}

// protect runs next only for a request carrying a valid token with the
// required scope, answering everything else as RFC 6750 §3 says.
func (a *api) protect(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, problem := bearerToken(r)
		if problem != "" {
			challenge(w, http.StatusBadRequest, "invalid_request", problem, "")
			return
		}
		if tok == "" {
			// §3.1: no error code when the request had no token at all.
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "send an access token: Authorization: Bearer <token>")
			return
		}
		p, err := a.v.verify(r.Context(), tok)
		if err != nil {
			if te, ok := err.(*tokenError); ok {
				challenge(w, http.StatusUnauthorized, "invalid_token", te.description, "")
				return
			}
			a.log.Warn("energy: cannot check a token", "err", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable",
				"the authorization server cannot be reached; try again shortly")
			return
		}
		if !p.hasScope(a.scope) {
			challenge(w, http.StatusForbidden, "insufficient_scope",
				"the token lacks the "+a.scope+" scope; ask for it when getting the token", a.scope)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

func principalFrom(r *http.Request) *principal {
	return r.Context().Value(principalKey{}).(*principal)
}

// bearerToken reads the token from the Authorization header (RFC 6750
// §2.1). The query-string method (§2.3) is refused: tokens in URLs end up
// in logs. problem is non-empty for a malformed request.
func bearerToken(r *http.Request) (tok, problem string) {
	if r.URL.Query().Has("access_token") {
		return "", "send the access token in the Authorization header, not in the URL"
	}
	hs := r.Header.Values("Authorization")
	if len(hs) > 1 {
		return "", "send one Authorization header"
	}
	if len(hs) == 0 {
		return "", ""
	}
	scheme, rest, _ := strings.Cut(hs[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "" // another scheme: no bearer token was sent
	}
	tok = strings.TrimSpace(rest)
	if tok == "" || strings.ContainsAny(tok, " \t,\"") {
		return "", "the Authorization header does not hold a bearer token"
	}
	return tok, ""
}

// challenge answers with an RFC 6750 §3 challenge and a JSON body saying
// the same.
func challenge(w http.ResponseWriter, status int, code, description, scope string) {
	v := `Bearer realm="` + realm + `", error="` + code + `", error_description="` + quotable(description) + `"`
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
