// Package identifier turns what a person knows about themselves (a
// service address, a phone number, an email address, an account number)
// into the keypad.Identifier values the OTP flow looks people up by, and
// reads the customer files those identifiers are imported from.
//
// The design rests on one rule: the import (`keypad user import`) and the
// lookup (POST /oauth2/otp/lookup) call the same normaliser, so a match is
// plain string equality in the Store, with no fuzzy matching at query
// time. Each normaliser is therefore idempotent (normalising a normalised
// value gives it back; the fuzz targets check this) and errs towards
// treating spellings of one thing as equal (upper-case USPS abbreviations
// for addresses, E.164 for phones, lower case for emails) while keeping
// apart what is different (another unit, number or ZIP).
//
// The package also makes what a client sees of a person: masked hints
// ("(•••) •••-4821", "h•••@e•••.com"), random per-session channel IDs,
// and for identifiers that find nobody, decoy channels derived from an
// HMAC of the normalised identifier and drawn from the real directory
// (decoy.go), so a lookup does not tell a customer from a stranger.
//
// It imports neither the store nor net/http: the OTP handlers and the CLI
// call it.
//
// Ownership: it holds no state. The subjects and identifiers it builds are
// stored by the CLI's import; a person's delivery channels follow from
// their identifiers by one rule, keypad.Subject.SetIdentifiers.
package identifier
