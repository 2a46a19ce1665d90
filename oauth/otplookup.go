package oauth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/token"
)

// lookupRequest is step one of the flow, from a client (the endpoint) or
// from the sign-in page (OTPStart, client nil).
type lookupRequest struct {
	client         *keypad.Client
	identifier     string
	identifierType string
	scopes         []string
	ip             string
	// purpose, when set, overrides the session's purpose (OTPPurposeCIBA
	// for a backchannel authentication request).
	purpose string
	// uiLocales are the client's ui_locales: space-separated BCP 47 tags.
	uiLocales string
}

// handleLookup is POST /oauth2/otp/lookup (DESIGN.md, "OTP flow on the
// wire", step 1): identifier, optional identifier_type, scope.
func (f *otpFlow) handleLookup(w http.ResponseWriter, r *http.Request) {
	resp, err := f.lookupHTTP(w, r)
	if err != nil {
		f.s.writeError(w, r, err)
		return
	}
	noStore(w.Header())
	writeJSON(w, http.StatusOK, resp)
}

func (f *otpFlow) lookupHTTP(w http.ResponseWriter, r *http.Request) (*OTPChallenge, error) {
	client, form, err := f.authenticate(w, r)
	if err != nil {
		return nil, err
	}
	// Scopes are checked as for client_credentials: what the client may
	// have, named in the message the person receives.
	scopes, err := checkScopes(keypad.ParseScope(form["scope"]), client.Scopes)
	if err != nil {
		return nil, err
	}
	return f.lookup(r.Context(), lookupRequest{
		client: client, identifier: form["identifier"], identifierType: form["identifier_type"],
		scopes: scopes, ip: f.clientIP(r), uiLocales: form["ui_locales"],
	})
}

// lookup finds the person an identifier names and starts a session with
// the channels to reach them. An identifier that finds nobody gets a decoy
// session (unless the client asked for explicit answers): the same answer,
// made by the same store work, with made-up channels to which nothing is
// ever sent, so lookups do not tell customers from strangers.
func (f *otpFlow) lookup(ctx context.Context, req lookupRequest) (*OTPChallenge, error) {
	now := f.s.now()
	clientID, purpose := "", OTPPurposeLogin
	if req.client != nil {
		clientID, purpose = req.client.ID, OTPPurposeToken
	}
	if req.purpose != "" {
		purpose = req.purpose
	}
	if err := f.checkLookup(ctx, req.client, req.ip, now); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.identifier) == "" {
		return nil, InvalidRequest("identifier is missing: send what the person typed (service address, phone number, email address or account number)")
	}
	id, err := f.norm.Parse(req.identifier, req.identifierType)
	if err != nil {
		return nil, err // a *keypad.ValidationError: invalid_request saying what to type
	}
	model := f.decoyModel(ctx) // read for every lookup: the same store work
	subjects, err := f.store.FindSubjects(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("otp lookup: %w", err)
	}
	// A disabled person is found by nobody: the answer is an unknown
	// identifier's, decoys and all.
	subjects = slices.DeleteFunc(subjects, func(s *keypad.Subject) bool { return s.Disabled })
	// An address with a ZIP is also looked up without it, found or not
	// (the same store work): a decoy must answer as the street does.
	var street []*keypad.Subject
	if sid, ok := identifier.StreetOnly(id); ok {
		if street, err = f.store.FindSubjects(ctx, sid); err != nil {
			return nil, fmt.Errorf("otp lookup: %w", err)
		}
	}
	ev := otpEvent{name: "lookup", clientID: clientID, ip: req.ip}
	if len(subjects) > 1 {
		e := ambiguous(id.Type, subjects)
		ev.name, ev.detail = "ambiguous", fmt.Sprintf("identifier_type=%s matches=%d", id.Type, len(subjects))
		f.record(ctx, ev)
		return nil, e
	}

	// Both kinds of answer are worked out for every lookup, a person's
	// channels (of a stand-in from the sample when nobody was found) and a
	// decoy, so that the CPU work does not tell them apart either; one is
	// thrown away.
	var channels []keypad.OTPChannel
	result := "unknown"
	if len(subjects) == 1 {
		channels = f.subjectChannels(subjects[0])
		result = "found"
		if len(channels) == 0 {
			// Found, but keypad cannot reach them: as good as unknown.
			result = "unreachable"
		}
	} else if s := f.standIn(); s != nil {
		_ = f.subjectChannels(s)
	}
	decoyChannels := f.decoyFor(id, street, model)
	explicit := req.client != nil && req.client.Options.ExplicitUnknownIdentifier
	decoy := len(channels) == 0
	switch {
	case decoy && explicit && result == "unknown":
		ev.detail = fmt.Sprintf("identifier_type=%s result=unknown", id.Type)
		f.record(ctx, ev)
		return nil, unknownIdentifier(id.Type)
	case decoy && explicit:
		ev.detail = fmt.Sprintf("identifier_type=%s result=unreachable", id.Type)
		f.record(ctx, ev)
		return nil, AccessDenied("the person has no phone number or email address keypad can send a code to; they must add one with the data holder first")
	case decoy:
		channels = decoyChannels
		result += ",decoy"
	}
	style := ""
	if req.client != nil {
		style = req.client.Options.HintStyle
	}
	// Every session names its channels afresh, real or decoy: a stable ID
	// would be a fingerprint. The session keeps which ID is which.
	channels = slices.Clone(channels)
	for i := range channels {
		if channels[i].ID, err = identifier.NewChannelID(f.s.rand); err != nil {
			return nil, fmt.Errorf("otp lookup: %w", err)
		}
		channels[i].Hint = identifier.StyleHint(channels[i].Type, channels[i].Hint, style)
	}

	handle, err := token.NewSecret(f.s.rand, keypad.PrefixOTPSession)
	if err != nil {
		return nil, fmt.Errorf("otp lookup: %w", err)
	}
	o := &keypad.OTPSession{
		Hash:     keypad.SecretHash(handle),
		ClientID: clientID,
		Scopes:   req.scopes,
		Decoy:    decoy,
		Channels: channels,
		Purpose:  purpose,
		// ui_locales names languages the client prefers, OIDC style: the
		// first the templates have wins, the others are ignored.
		UILanguage: f.tmpl.Match(req.uiLocales),
		Status:     keypad.OTPPending,
		CreatedAt:  now,
		ExpiresAt:  now.Add(f.cfg.SessionLifetime),
	}
	preferred := ""
	if !decoy {
		o.Subject = subjects[0].ID
		preferred = subjects[0].PreferredLanguage
		ev.subject = o.Subject
	}
	o.Language = f.tmpl.Match(preferred) // a decoy does the same work

	if err := f.store.CreateOTPSession(ctx, o); err != nil {
		return nil, fmt.Errorf("otp lookup: store session: %w", err)
	}
	ev.detail = fmt.Sprintf("identifier_type=%s result=%s channels=%d", id.Type, result, len(channels))
	f.record(ctx, ev)
	hints := make([]OTPChannelHint, len(channels))
	for i, c := range channels {
		hints[i] = OTPChannelHint{ID: c.ID, Type: c.Type, Hint: c.Hint}
	}
	return &OTPChallenge{Session: handle, ExpiresIn: f.cfg.SessionLifetime, Channels: hints}, nil
}

// offers reports whether a channel of type typ can be offered: keypad has
// a sender for it and, for SMS, texts to the number's country are allowed.
func (f *otpFlow) offers(typ, country string) bool {
	if !f.router.Has(typ) {
		return false
	}
	return typ != identifier.ChannelSMS || f.countries[country]
}

// subjectChannels lists the channels keypad can reach a person on.
func (f *otpFlow) subjectChannels(s *keypad.Subject) []keypad.OTPChannel {
	var out []keypad.OTPChannel
	for _, c := range identifier.SubjectChannels(s) {
		if f.offers(c.Type, identifier.Country(c.Destination)) {
			out = append(out, c)
		}
	}
	return out
}

// decoyChannels lists the made-up channels of an identifier that finds
// nobody, drawn from model and limited as a person's are: a text only
// with an SMS sender and to a country texts go to (the typed number's, or
// for a model of real people the numbers already offered to them, or else
// the configured region's).
func (f *otpFlow) decoyChannels(id keypad.Identifier, model *identifier.DecoyModel) []keypad.OTPChannel {
	sms := f.router.Has(identifier.ChannelSMS)
	switch {
	case id.Type == keypad.IdentifierPhone:
		sms = sms && f.countries[identifier.Country(id.Value)]
	case !model.Real():
		sms = sms && f.countries[f.cfg.Region]
	}
	return f.norm.DecoysFrom(f.key, id, model.Offering(sms, f.router.Has(identifier.ChannelEmail)))
}

// decoyFor answers an identifier that finds nobody reachable, as the
// identifiers that would find the same person answer. Only an address
// with a ZIP needs more than its own seed: its street, without the ZIP,
// finds everyone it would find, so
//   - a street that finds one reachable person answers every ZIP with that
//     person's hints (else a wrong ZIP would tell a customer's street from
//     a stranger's, where every ZIP answers alike); nothing is sent;
//   - a street that finds several (ambiguous_identifier) has a different
//     person, or nobody, at each ZIP: the decoy is seeded by street and ZIP;
//   - otherwise the decoy is the street's (identifier.DecoyKey).
func (f *otpFlow) decoyFor(id keypad.Identifier, street []*keypad.Subject, model *identifier.DecoyModel) []keypad.OTPChannel {
	if _, ok := identifier.StreetOnly(id); ok {
		switch {
		case len(street) == 1:
			if cs := f.subjectChannels(street[0]); len(cs) > 0 {
				for i := range cs {
					// A decoy: nothing is sent, but the limits count
					// the person's destination, as for a real send.
					cs[i].Key, cs[i].Destination = cs[i].Destination, ""
				}
				return cs
			}
		case len(street) > 1:
			return f.decoyChannels(id, model)
		}
	}
	return f.decoyChannels(identifier.DecoyKey(id), model)
}

// identifierWords are the identifier types as a description names them.
var identifierWords = map[keypad.IdentifierType]string{
	keypad.IdentifierAddress: "service address",
	keypad.IdentifierPhone:   "phone number",
	keypad.IdentifierEmail:   "email address",
	keypad.IdentifierAccount: "account number",
}

// askOrder is the order in which other identifiers are suggested: an
// account number is unique by construction, a phone or email usually.
var askOrder = []keypad.IdentifierType{
	keypad.IdentifierAccount, keypad.IdentifierPhone, keypad.IdentifierEmail, keypad.IdentifierAddress,
}

// ambiguous is the answer for an identifier several people share: 400
// ambiguous_identifier saying what else to ask for, in words and in
// identifier_types (the types that tell these people apart; the account
// number when none does).
func ambiguous(typ keypad.IdentifierType, subjects []*keypad.Subject) *Error {
	var types []string
	for _, t := range askOrder {
		if t != typ && distinguishes(t, subjects) {
			types = append(types, string(t))
		}
	}
	if len(types) == 0 {
		types = []string{string(keypad.IdentifierAccount)}
	}
	e := NewError(CodeAmbiguousIdentifier, "several people share this %s; ask the person for their %s and look up by it (identifier_type=%s)",
		identifierWords[typ], identifierWords[keypad.IdentifierType(types[0])], types[0])
	e.Extra = map[string]any{"identifier_types": types}
	return e
}

// distinguishes reports whether every subject has an identifier of type t
// and no value of it is shared by two of them.
func distinguishes(t keypad.IdentifierType, subjects []*keypad.Subject) bool {
	owner := map[string]int{}
	for i, s := range subjects {
		vals := identifierValues(s, t)
		if len(vals) == 0 {
			return false
		}
		for _, v := range vals {
			if j, seen := owner[v]; seen && j != i {
				return false
			}
			owner[v] = i
		}
	}
	return true
}

// identifierValues returns a subject's values of type t, counting its
// delivery channels as identifiers too.
func identifierValues(s *keypad.Subject, t keypad.IdentifierType) []string {
	var out []string
	for _, id := range s.Identifiers {
		if id.Type == t && !slices.Contains(out, id.Value) {
			out = append(out, id.Value)
		}
	}
	switch {
	case t == keypad.IdentifierEmail && s.Email != "" && !slices.Contains(out, s.Email):
		out = append(out, s.Email)
	case t == keypad.IdentifierPhone && s.Phone != "" && !slices.Contains(out, s.Phone):
		out = append(out, s.Phone)
	}
	return out
}

// unknownIdentifier is the explicit answer for an identifier that finds
// nobody, for clients that chose it (ClientOptions.ExplicitUnknownIdentifier).
func unknownIdentifier(typ keypad.IdentifierType) *Error {
	var others []string
	for _, t := range askOrder {
		if t != typ {
			others = append(others, string(t))
		}
	}
	e := NewError(CodeUnknownIdentifier, "no one is found by this %s; check it with the person, or ask for another identifier (%s)",
		identifierWords[typ], strings.Join(others, ", "))
	e.Extra = map[string]any{"identifier_types": others}
	return e
}
