package oauth

import (
	"net/http"
	"slices"
	"strings"
)

// corsPaths are the endpoints a browser app calls from its own origin: a
// single-page app signs in with the authorization code flow and PKCE,
// then fetches the metadata and keys, exchanges and refreshes at the token
// endpoint, revokes on sign-out and reads userinfo. None of them reads a
// cookie (each request carries its credentials explicitly: a client ID,
// a code and its verifier, a refresh token, a bearer token), so answering
// any origin lends a page no authority it did not already hold; that is
// why they answer "*" and never allow credentials. The endpoints that do
// read cookies (the hosted pages) and the ones meant for servers
// (introspection, device authorization, the OTP flow) send no CORS
// headers, so browsers keep other origins out of them.
var corsPaths = []string{PathToken, PathRevoke, PathASMetadata, PathOIDCDiscovery, PathJWKS, PathUserinfo}

// registerWithCORS puts routes on mux, wrapping those on corsPaths so
// their answers carry Access-Control-Allow-Origin, and adding an OPTIONS
// route per such path for the browser's preflight (Fetch standard, CORS
// protocol).
func registerWithCORS(mux *http.ServeMux, routes []route) {
	methods := map[string][]string{}
	for _, r := range routes {
		method, path, _ := strings.Cut(r.pattern, " ")
		if !slices.Contains(corsPaths, path) {
			mux.Handle(r.pattern, r.h)
			continue
		}
		mux.Handle(r.pattern, allowAnyOrigin(r.h))
		methods[path] = append(methods[path], method)
	}
	for path, ms := range methods {
		mux.Handle("OPTIONS "+path, preflight(ms))
	}
}

// allowAnyOrigin lets a page on any origin read h's answers, errors
// included, without cookies. The headers go on every answer, Origin or
// not, so that a cache that kept the metadata or the JWKS for a server's
// request serves a browser the same.
func allowAnyOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Shared value slices, as for Content-Type in writeJSON: two
		// allocations fewer on every token request.
		hdr := w.Header()
		hdr["Access-Control-Allow-Origin"] = anyOriginValue
		hdr["Access-Control-Expose-Headers"] = exposedHeadersValue
		h.ServeHTTP(w, r)
	})
}

// The values of allowAnyOrigin's headers. userinfo's and the token
// endpoint's errors explain themselves in WWW-Authenticate (RFC 6750 §3).
var anyOriginValue, exposedHeadersValue = []string{"*"}, []string{"WWW-Authenticate, DPoP-Nonce"}

// preflight answers a CORS preflight for an endpoint serving methods:
// the headers a browser app sends (Authorization for client_secret_basic
// and bearer tokens, Content-Type for the form) are allowed, and the
// answer may be cached for a day.
func preflight(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
	})
}
