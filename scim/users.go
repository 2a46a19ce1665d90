package scim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	scim "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	parser "github.com/scim2/filter-parser/v2"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
)

// scanPage is how many people a filter that needs a scan reads at once.
const scanPage = 500

// users is the library's ResourceHandler for /Users, on keypad's people.
type users struct {
	store Store
	norm  identifier.Normalizer
	now   func() time.Time
	rand  io.Reader
	log   *slog.Logger
}

var _ scim.ResourceHandler = (*users)(nil)

// Create adds a person (RFC 7644 §3.3). A userName or externalId that is
// taken is 409 uniqueness.
func (u *users) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	id, err := newID(u.rand)
	if err != nil {
		return scim.Resource{}, u.fail(r, "create", err)
	}
	now := u.now().UTC()
	s := &keypad.Subject{ID: id, CreatedAt: now, UpdatedAt: now}
	if err := apply(a, s, u.norm); err != nil {
		return scim.Resource{}, u.fail(r, "create", err)
	}
	if err := u.store.CreateSubject(r.Context(), s); err != nil {
		return scim.Resource{}, u.fail(r, "create", err)
	}
	return resource(s), nil
}

// Get reads one person (RFC 7644 §3.4.1).
func (u *users) Get(r *http.Request, id string) (scim.Resource, error) {
	s, err := u.store.GetSubject(r.Context(), id)
	if err != nil {
		return scim.Resource{}, u.fail(r, "get", err)
	}
	return resource(s), nil
}

// GetAll lists people, filtered and paged (RFC 7644 §3.4.2): an eq on an
// indexed attribute reads the index, any other filter scans (filter.go).
// People are in ID order, so pages are stable while nobody is added.
func (u *users) GetAll(r *http.Request, p scim.ListRequestParams) (scim.Page, error) {
	ctx := r.Context()
	page := scim.Page{Resources: []scim.Resource{}}
	skip := max(p.StartIndex, 1) - 1
	var v *scimfilter.Validator
	var e parser.Expression
	if p.FilterValidator != nil {
		v, e = compile(p.FilterValidator, u.norm)
	}
	take := func(s *keypad.Subject) {
		if matches(v, s) {
			if page.TotalResults >= skip && len(page.Resources) < p.Count {
				page.Resources = append(page.Resources, resource(s))
			}
			page.TotalResults++
		}
	}
	if e != nil {
		if ls, ok := lookups(e, ""); ok {
			found, err := read(ctx, u.store, ls)
			if err != nil {
				return scim.Page{}, u.fail(r, "list", err)
			}
			for _, s := range found {
				take(s)
			}
			return page, nil
		}
	}
	for after := ""; ; {
		batch, err := u.store.ListSubjects(ctx, after, scanPage)
		if err != nil {
			return scim.Page{}, u.fail(r, "list", err)
		}
		for _, s := range batch {
			take(s)
		}
		if len(batch) < scanPage {
			return page, nil
		}
		after = batch[len(batch)-1].ID
	}
}

// Replace is PUT (RFC 7644 §3.5.1): the User's attributes become the
// request's; If-Match, when sent, must name the current version.
func (u *users) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	return u.modify(r, "replace", id, func(s *keypad.Subject) error {
		return apply(a, s, u.norm)
	})
}

// Patch is PATCH (RFC 7644 §3.5.2): the operations are applied in order
// to the User's representation, which then replaces the User as a PUT
// would; nothing is written unless every operation applies.
func (u *users) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	return u.modify(r, "patch", id, func(s *keypad.Subject) error {
		a := representation(s)
		if s.ExternalID != "" {
			a[attrExternalID] = s.ExternalID
		}
		for _, op := range ops {
			if err := patch(a, op); err != nil {
				return err
			}
		}
		return apply(a, s, u.norm)
	})
}

// modify changes a person in the store's read-modify-write, checking
// If-Match against the version it read, so that of two requests sent
// with the same ETag one is applied and the other gets 412.
func (u *users) modify(r *http.Request, what, id string, fn func(*keypad.Subject) error) (scim.Resource, error) {
	now := u.now().UTC()
	s, err := u.store.ModifySubject(r.Context(), id, now, func(s *keypad.Subject) error {
		if err := checkIfMatch(r, s); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
		s.UpdatedAt = now
		return nil
	})
	if err != nil {
		return scim.Resource{}, u.fail(r, what, err)
	}
	return resource(s), nil
}

// Delete removes a person and everything issued for them (RFC 7644
// §3.6). With If-Match the version is checked first; the check and the
// delete are two steps, so a change landing between them is deleted too.
func (u *users) Delete(r *http.Request, id string) error {
	if r.Header.Get("If-Match") != "" {
		s, err := u.store.GetSubject(r.Context(), id)
		if err != nil {
			return u.fail(r, "delete", err)
		}
		if err := checkIfMatch(r, s); err != nil {
			return err
		}
	}
	if err := u.store.DeleteSubject(r.Context(), id); err != nil {
		return u.fail(r, "delete", err)
	}
	return nil
}

// fail turns an error into the SCIM error answered: the library's and
// this package's pass as they are, the store's expected ones become 404
// and 409, and anything else is logged and answered 500 without its text.
func (u *users) fail(r *http.Request, what string, err error) error {
	var se scimerrors.ScimError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, keypad.ErrNotFound):
		return scimerrors.ScimError{Status: http.StatusNotFound,
			Detail: "there is no such User: it may have been deleted; find Users with GET /scim/v2/Users?filter=..."}
	case errors.Is(err, keypad.ErrConflict):
		return scimerrors.ScimError{ScimType: scimerrors.ScimTypeUniqueness, Status: http.StatusConflict,
			Detail: "the userName or externalId is another User's: choose another, or update that User"}
	}
	u.log.ErrorContext(r.Context(), "scim: "+what+" user", "err", err)
	return scimerrors.ScimError{Status: http.StatusInternalServerError,
		Detail: fmt.Sprintf("keypad could not %s the User; the error is in its log", what)}
}
