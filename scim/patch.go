package scim

import (
	"fmt"
	"strings"

	scim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	parser "github.com/scim2/filter-parser/v2"
)

// patch applies one PATCH operation (RFC 7644 §3.5.2), already parsed and
// validated against the schemas by the library, to a User's
// representation a.
func patch(a scim.ResourceAttributes, op scim.PatchOperation) error {
	if op.Path != nil {
		return patchPath(a, op.Op, *op.Path, op.Value)
	}
	// No path: the value is an object of attributes (or of paths, or an
	// extension's object of attributes), each added or replaced.
	values, ok := op.Value.(map[string]any)
	if !ok {
		return scimerrors.ScimErrorInvalidValue
	}
	for k, v := range values {
		if strings.EqualFold(k, KeypadExtension) {
			ext, ok := v.(map[string]any)
			if !ok {
				return scimerrors.ScimErrorInvalidValue
			}
			for sub, sv := range ext {
				p, err := parser.ParsePath([]byte(sub))
				if err != nil {
					return scimerrors.ScimErrorInvalidPath
				}
				uri := KeypadExtension
				p.AttributePath.URIPrefix = &uri
				if err := patchPath(a, op.Op, p, sv); err != nil {
					return err
				}
			}
			continue
		}
		p, err := parser.ParsePath([]byte(k))
		if err != nil {
			return scimerrors.ScimErrorInvalidPath
		}
		if err := patchPath(a, op.Op, p, v); err != nil {
			return err
		}
	}
	return nil
}

// attribute finds a path's attribute in the schemas: its container in a
// (the extension's object, made when missing, or a itself), its canonical
// name and its definition.
func attribute(a scim.ResourceAttributes, p parser.AttributePath) (map[string]any, schema.CoreAttribute, error) {
	s, container := userSchema(), map[string]any(a)
	if strings.EqualFold(p.URI(), KeypadExtension) {
		s = keypadSchema()
		ext, _ := a[KeypadExtension].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			a[KeypadExtension] = ext
		}
		container = ext
	}
	if strings.EqualFold(p.AttributeName, attrExternalID) {
		return container, schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: attrExternalID, CaseExact: true})), nil
	}
	attr, ok := s.Attributes.ContainsAttribute(p.AttributeName)
	if !ok {
		return nil, attr, scimerrors.ScimErrorInvalidPath
	}
	return container, attr, nil
}

// patchPath applies op at path p.
func patchPath(a scim.ResourceAttributes, op string, p parser.Path, value any) error {
	c, attr, err := attribute(a, p.AttributePath)
	if err != nil {
		return err
	}
	name := attr.Name()
	sub := p.AttributePath.SubAttributeName()
	if sub == "" {
		sub = p.SubAttributeName()
	}
	if p.ValueExpression != nil {
		return patchMatching(c, attr, op, p.ValueExpression, sub, value)
	}
	if sub != "" && attr.MultiValued() { // emails.value: every value's
		if len(list(c[name])) == 0 {
			return scimerrors.ScimError{ScimType: scimerrors.ScimTypeNoTarget, Status: 400,
				Detail: fmt.Sprintf("the User has no %s to change", name)}
		}
		var out []any
		for _, el := range list(c[name]) {
			m, _ := el.(map[string]any)
			m = clone(m)
			if op == scim.PatchOperationRemove {
				delete(m, sub)
			} else {
				m[sub] = value
			}
			out = append(out, m)
		}
		c[name] = out
		return nil
	}
	if sub != "" { // name.givenName: one sub-attribute of a complex attribute
		m, _ := c[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		if op == scim.PatchOperationRemove {
			delete(m, sub)
		} else {
			m[sub] = value
		}
		// name.formatted is what keypad keeps: a changed part recomposes it.
		if name == attrName && !strings.EqualFold(sub, "formatted") {
			delete(m, "formatted")
		}
		c[name] = m
		return nil
	}
	switch {
	case op == scim.PatchOperationRemove:
		delete(c, name)
	case op == scim.PatchOperationAdd && attr.MultiValued():
		c[name] = append(list(c[name]), list(value)...)
	case !attr.MultiValued() && attr.HasSubAttributes():
		// A complex value's sub-attributes replace or add to the present
		// ones; the others stay (RFC 7644 §3.5.2.1 and §3.5.2.3).
		m, _ := c[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		v, ok := value.(map[string]any)
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, sv := range v {
			m[k] = sv
		}
		if name == attrName && v["formatted"] == nil {
			delete(m, "formatted")
		}
		c[name] = m
	default:
		c[name] = value
	}
	return nil
}

// patchMatching applies op to the values of a multi-valued attribute that
// pass the value filter (emails[type eq "work"]), or to their
// sub-attribute sub. A filter that matches no value is noTarget.
func patchMatching(c map[string]any, attr schema.CoreAttribute, op string, expr parser.Expression, sub string, value any) error {
	v := scimfilter.NewFilterValidator(expr, schema.Schema{Attributes: attr.SubAttributes()})
	values := list(c[attr.Name()])
	hit := false
	kept := values[:0:0]
	for _, el := range values {
		m, ok := el.(map[string]any)
		if !ok || v.PassesFilter(m) != nil {
			kept = append(kept, el)
			continue
		}
		hit = true
		switch {
		case op == scim.PatchOperationRemove && sub == "":
			continue // dropped
		case op == scim.PatchOperationRemove:
			m = clone(m)
			delete(m, sub)
		case sub != "":
			m = clone(m)
			m[sub] = value
		default:
			nv, ok := value.(map[string]any)
			if !ok {
				return scimerrors.ScimErrorInvalidValue
			}
			m = clone(m)
			for k, sv := range nv {
				m[k] = sv
			}
		}
		if attr.Name() == attrAddresses && sub != "formatted" && (sub != "" || !hasKey(value, "formatted")) {
			delete(m, "formatted") // changed parts recompose the address
		}
		kept = append(kept, m)
	}
	if !hit {
		return scimerrors.ScimError{ScimType: scimerrors.ScimTypeNoTarget, Status: 400,
			Detail: fmt.Sprintf("no value of %s matches the path's filter", attr.Name())}
	}
	if len(kept) == 0 {
		delete(c, attr.Name())
	} else {
		c[attr.Name()] = kept
	}
	return nil
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func hasKey(v any, k string) bool {
	m, _ := v.(map[string]any)
	_, ok := m[k]
	return ok
}
