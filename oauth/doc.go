// Package oauth is keypad's OAuth 2.0 protocol core and the owner of every
// flow: the token endpoint and its grants, the device authorization and
// OTP endpoints, the authorization endpoint, client authentication,
// introspection, revocation and metadata. One file per endpoint or grant,
// each naming the RFC section it implements.
//
// Ownership: this package is the only writer of a flow's state — device
// authorizations, grants, OTP sessions, authorization codes, tokens. The
// hosted pages (package web) and the CLI never write them; they call the
// small interfaces web declares (Authorizer, CodeSignIn, device approval,
// the password check, grant revocation), which this package implements.
// Every token leaves through the one minting path in token.go; every
// error through the one table in errors.go, which maps only the errors a
// flow expects and answers server_error, logged, for the rest.
//
// Placement: the scope rules (defaults, requestable scopes, patterns such
// as device:{id}:control, narrowing) live in scope.go; writing a JSON
// answer in jsonresponse.go; the OTP flow in the otp*.go files. Parsing a
// partner's keys is not protocol: it lives in token/jose.
//
// Construction: the server is built once, by New, from a Config that
// lists the flows and Deps that carry their collaborators; nothing is
// switched on afterwards. A grant is added by writing one file with a
// GrantHandler and an install function, a field in Config, and one line
// in installBuiltins; its endpoints register there with handle and
// announce themselves in the metadata with setMetadata. The pages change
// flow state through Actions (actions.go), and each flow reads and writes
// the store through the few methods it declares in stores.go.
// docs/architecture.md follows a token request through these files.
package oauth
