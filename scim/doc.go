// Package scim serves SCIM 2.0 provisioning (RFC 7643, RFC 7644) of
// keypad's people at /scim/v2/: Users, and the discovery documents
// ServiceProviderConfig, ResourceTypes and Schemas.
//
// The protocol (routing, request validation against the schemas, list
// responses, PATCH operation parsing, the filter grammar) is
// github.com/elimity-com/scim's; this package maps a SCIM User onto a
// keypad.Subject and back (user.go), finds the people a filter names
// (filter.go: an eq on an identifier reads the identifier index, anything
// else scans), applies PATCH operations to a User's representation
// (patch.go) and checks If-Match against a representation's ETag inside
// the store's read-modify-write (etag.go), so two updates sent with the
// same ETag cannot both win.
//
// Identifiers (emails, phone numbers, addresses, account numbers) are
// normalised by package identifier exactly as the CLI and the import do,
// so a person provisioned by SCIM is found by the OTP flow the same way.
// Deactivating a person (active: false) ends their grants and tokens in
// the same transaction (keypad.SubjectModifier).
//
// Every request is authorised first by an access token with the
// keypad:users (or keypad:admin) scope; see oauth.AuthorizeAdmin.
package scim
