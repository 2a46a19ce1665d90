package scim

import (
	"context"
	"errors"
	"slices"
	"strings"

	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	parser "github.com/scim2/filter-parser/v2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// How a filter finds people. An eq on something keypad indexes (id,
// userName, externalId, and the identifiers: emails.value,
// phoneNumbers.value, addresses.formatted, accountNumbers, also inside a
// value path such as emails[value eq "…"]) reads those few people from
// the index; an "and" with one such side reads that side's; an "or" whose
// sides all are reads each. Every other filter reads every person, a page
// of the store at a time (memory stays at one page plus the answer's
// count). Either way the whole filter is then evaluated on each person's
// representation by the library (filter.Validator.PassesFilter), so the
// index only narrows, it never decides.

// indexed names a filter path keypad can look up directly.
type indexed int

const (
	notIndexed indexed = iota
	byID
	byUserName
	byExternalID
	byIdentifier
)

// pathKey spells an attribute path for the switch below: lower case,
// the extension's attributes under their bare name.
func pathKey(p parser.AttributePath) string {
	k := strings.ToLower(p.AttributeName)
	if sub := p.SubAttributeName(); sub != "" {
		k += "." + strings.ToLower(sub)
	}
	return k
}

// identifierPath maps a filter's attribute path to the identifier type
// stored under it.
func identifierPath(key string) (keypad.IdentifierType, bool) {
	switch key {
	case "emails.value", "emails":
		return keypad.IdentifierEmail, true
	case "phonenumbers.value", "phonenumbers":
		return keypad.IdentifierPhone, true
	case "addresses.formatted", "addresses":
		return keypad.IdentifierAddress, true
	case "accountnumbers":
		return keypad.IdentifierAccount, true
	}
	return "", false
}

// normaliseFilter rewrites, in place, the value of every eq on an
// identifier into its stored form ("(415) 555-0142" → "+14155550142",
// upper-case email domains lower-cased), so that a filter matches what a
// person typed the way the OTP lookup does. A value that does not
// normalise is left as it is and matches nobody.
func normaliseFilter(e parser.Expression, norm identifier.Normalizer, parent string) {
	switch e := e.(type) {
	case *parser.LogicalExpression:
		normaliseFilter(e.Left, norm, parent)
		normaliseFilter(e.Right, norm, parent)
	case *parser.NotExpression:
		normaliseFilter(e.Expression, norm, parent)
	case *parser.ValuePath:
		normaliseFilter(e.ValueFilter, norm, strings.ToLower(e.AttributePath.AttributeName))
	case *parser.AttributeExpression:
		v, ok := e.CompareValue.(string)
		if !ok || e.Operator != parser.EQ {
			return
		}
		key := pathKey(e.AttributePath)
		if parent != "" {
			key = parent + "." + key
		}
		typ, ok := identifierPath(key)
		if !ok {
			return
		}
		if id, err := norm.Normalize(typ, v); err == nil {
			e.CompareValue = id.Value
		}
	}
}

// lookup is one indexed read a filter asks for.
type lookup struct {
	kind  indexed
	typ   keypad.IdentifierType
	value string
}

// lookups returns the indexed reads whose union holds every person e can
// match, or false when e needs a scan.
func lookups(e parser.Expression, parent string) ([]lookup, bool) {
	switch e := e.(type) {
	case *parser.LogicalExpression:
		l, lok := lookups(e.Left, parent)
		r, rok := lookups(e.Right, parent)
		switch {
		case e.Operator == parser.AND && lok && (!rok || len(l) <= len(r)):
			return l, true
		case e.Operator == parser.AND && rok:
			return r, true
		case e.Operator == parser.OR && lok && rok:
			return append(l, r...), true
		}
	case *parser.ValuePath:
		return lookups(e.ValueFilter, strings.ToLower(e.AttributePath.AttributeName))
	case *parser.AttributeExpression:
		v, ok := e.CompareValue.(string)
		if !ok || e.Operator != parser.EQ {
			return nil, false
		}
		key := pathKey(e.AttributePath)
		if parent != "" {
			key = parent + "." + key
		}
		switch key {
		case "id":
			return []lookup{{kind: byID, value: v}}, true
		case "username":
			return []lookup{{kind: byUserName, value: v}}, true
		case "externalid":
			return []lookup{{kind: byExternalID, value: v}}, true
		}
		if typ, ok := identifierPath(key); ok {
			return []lookup{{kind: byIdentifier, typ: typ, value: v}}, true
		}
	}
	return nil, false
}

// read runs the lookups and returns the people found, each once, ordered
// by ID.
func read(ctx context.Context, st Store, ls []lookup) ([]*keypad.Subject, error) {
	var out []*keypad.Subject
	for _, l := range ls {
		var found []*keypad.Subject
		var one *keypad.Subject
		var err error
		switch l.kind {
		case byID:
			one, err = st.GetSubject(ctx, l.value)
		case byUserName:
			one, err = st.GetSubjectByUsername(ctx, l.value)
		case byExternalID:
			one, err = st.GetSubjectByExternalID(ctx, l.value)
		case byIdentifier:
			found, err = st.FindSubjects(ctx, keypad.Identifier{Type: l.typ, Value: l.value})
		}
		switch {
		case errors.Is(err, keypad.ErrNotFound):
		case err != nil:
			return nil, err
		case one != nil:
			found = []*keypad.Subject{one}
		}
		for _, s := range found {
			if !slices.ContainsFunc(out, func(o *keypad.Subject) bool { return o.ID == s.ID }) {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b *keypad.Subject) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// filterable is the representation a filter is evaluated on: the User's
// attributes plus id and externalId, and the extension's attributes also
// under their full path, where the library's evaluator looks for them.
func filterable(s *keypad.Subject) map[string]any {
	m := map[string]any(representation(s))
	m[schema.CommonAttributeID] = s.ID
	if s.ExternalID != "" {
		m[attrExternalID] = s.ExternalID
	}
	if ext, ok := m[KeypadExtension].(map[string]any); ok {
		for k, v := range ext {
			m[KeypadExtension+":"+k] = v
		}
	}
	return m
}

// matches reports whether s passes the validated filter v (nil: no
// filter).
func matches(v *scimfilter.Validator, s *keypad.Subject) bool {
	return v == nil || v.PassesFilter(filterable(s)) == nil
}

// multiValuedComplex maps the multi-valued complex attributes to the
// sub-attribute a filter on the whole attribute compares ("emails co
// "example.com"" compares each email's value, RFC 7644 §3.4.2.2).
var multiValuedComplex = map[string]string{"emails": "value", "phonenumbers": "value", "addresses": "formatted"}

// rewrite returns e with every comparison on a multi-valued complex
// attribute (emails.value eq "…", emails co "…") written as the value path
// it means (emails[value eq "…"]), the form the library's evaluator
// applies to each value; it evaluates the dotted form against one object
// only, so it would match nobody.
func rewrite(e parser.Expression) parser.Expression {
	switch e := e.(type) {
	case *parser.LogicalExpression:
		return &parser.LogicalExpression{Left: rewrite(e.Left), Right: rewrite(e.Right), Operator: e.Operator}
	case *parser.NotExpression:
		return &parser.NotExpression{Expression: rewrite(e.Expression)}
	case *parser.AttributeExpression:
		if uri := e.AttributePath.URI(); uri != "" && uri != UserSchema {
			return e
		}
		sub, ok := multiValuedComplex[strings.ToLower(e.AttributePath.AttributeName)]
		if !ok {
			return e
		}
		if s := e.AttributePath.SubAttributeName(); s != "" {
			sub = s
		}
		return &parser.ValuePath{
			AttributePath: parser.AttributePath{URIPrefix: e.AttributePath.URIPrefix, AttributeName: e.AttributePath.AttributeName},
			ValueFilter: &parser.AttributeExpression{
				AttributePath: parser.AttributePath{AttributeName: sub},
				Operator:      e.Operator, CompareValue: e.CompareValue,
			},
		}
	}
	return e
}

// compile prepares a validated filter for evaluation on people: the
// comparisons rewritten (rewrite) and the identifiers' values normalised
// (normaliseFilter).
func compile(v *scimfilter.Validator, norm identifier.Normalizer) (*scimfilter.Validator, parser.Expression) {
	e := rewrite(v.GetFilter())
	normaliseFilter(e, norm, "")
	s := userSchema()
	s.Attributes = append(s.Attributes, schema.CommonAttributes()...)
	c := scimfilter.NewFilterValidator(e, s, keypadSchema())
	return &c, e
}
