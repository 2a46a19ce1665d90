// Package manage holds what the two ways of managing keypad share: the
// admin CLI (cmd/keypad, on the database) and the admin API (package
// admin, over HTTP). Reading a client registration (ClientSpec), drawing
// IDs and client secrets, and normalising what a person is found by
// (Identify) happen here once, so the CLI and the API cannot disagree;
// the domain rules themselves stay on the domain types
// (keypad.Client.Validate, keypad.Subject.Validate).
//
// Errors about a field are *FieldError, whose text names fields as
// "{field}" so each interface spells them its own way (--access-ttl in
// the CLI, access_ttl in the API).
package manage
