package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/password"
)

// searchParams are what a people list can be searched by: the
// identifiers, and the username (`keypad user get NAME` over the API).
var searchParams = []string{"email", "phone", "address", "account", "username"}

// createPerson adds a person (`keypad user create`).
func (a *API) createPerson(w http.ResponseWriter, r *http.Request) {
	var in personBody
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	s := &keypad.Subject{}
	var err error
	if s.ID, err = manage.NewID(a.rand, ""); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := in.spec().Apply(s, a.region); err != nil {
		a.fail(w, r, err)
		return
	}
	s.CreatedAt = keypad.NextUpdatedAt(s.CreatedAt, a.now())
	s.UpdatedAt = s.CreatedAt
	if err := a.store.CreateSubject(r.Context(), s); err != nil {
		a.fail(w, r, taken(err))
		return
	}
	w.Header().Set("Location", Prefix+"people/"+s.ID)
	writeResource(w, http.StatusCreated, versionTag(s.UpdatedAt), resourceOfPerson(s))
}

// taken words a person's ErrConflict: the username or external ID is
// another person's.
func taken(err error) error {
	if errors.Is(err, keypad.ErrConflict) {
		return problem(http.StatusConflict, "conflict", "the username or external_id is another person's: choose another")
	}
	return err
}

// listPeople lists people ordered by ID, or, with one of ?email=,
// ?phone=, ?address=, ?account=, those found by that identifier
// (normalised as the OTP lookup normalises it), or with ?username= the
// one person of that username.
func (a *API) listPeople(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r, searchParams...)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var people []*keypad.Subject
	if id, ok, err := a.searchedIdentifier(r); err != nil {
		a.fail(w, r, err)
		return
	} else if ok && id.Type == "" {
		if people, err = a.byUsername(r, id.Value); err != nil {
			a.fail(w, r, err)
			return
		}
	} else if ok {
		people, err = a.store.FindSubjects(r.Context(), id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
	} else if people, err = a.store.ListSubjects(r.Context(), p.after, p.limit+1); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, window(people, p, func(s *keypad.Subject) string { return s.ID }, resourceOfPerson))
}

// searchedIdentifier is the identifier a list is searched by, if any.
func (a *API) searchedIdentifier(r *http.Request) (keypad.Identifier, bool, error) {
	q := r.URL.Query()
	var spec manage.PersonSpec
	given := 0
	for _, k := range searchParams {
		if q.Has(k) {
			given++
		}
	}
	switch given {
	case 0:
		return keypad.Identifier{}, false, nil
	case 1:
	default:
		return keypad.Identifier{}, false, invalid("email", "search by one of email, phone, address, account or username at a time")
	}
	if q.Has("username") {
		if q.Get("username") == "" {
			return keypad.Identifier{}, false, invalid("username", "the search value is empty")
		}
		return keypad.Identifier{Value: q.Get("username")}, true, nil // no Type: a username, not an identifier
	}
	spec.Email, spec.Phone, spec.Address, spec.Account = q.Get("email"), q.Get("phone"), q.Get("address"), q.Get("account")
	var s keypad.Subject
	if err := manage.Identify(&s, identifierRecord(spec), a.region); err != nil {
		return keypad.Identifier{}, false, err
	}
	if len(s.Identifiers) == 0 {
		return keypad.Identifier{}, false, invalid(searchParams[0], "the search value is empty")
	}
	return s.Identifiers[0], true, nil
}

// byUsername is the person of that username, as a list of one or none.
func (a *API) byUsername(r *http.Request, name string) ([]*keypad.Subject, error) {
	s, err := a.store.GetSubjectByUsername(r.Context(), name)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*keypad.Subject{s}, nil
}

func identifierRecord(p manage.PersonSpec) identifier.Record {
	return identifier.Record{Email: p.Email, Phone: p.Phone, Address: p.Address, Account: p.Account}
}

func (a *API) getPerson(w http.ResponseWriter, r *http.Request) {
	s, err := a.findPerson(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, versionTag(s.UpdatedAt), resourceOfPerson(s))
}

// findPerson reads the person the path names.
func (a *API) findPerson(r *http.Request) (*keypad.Subject, error) {
	id := r.PathValue("id")
	s, err := a.store.GetSubject(r.Context(), id)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no person %q: see GET /admin/v1/people", id))
	}
	return s, err
}

// updatePerson replaces a person's details (PUT: all of them; PATCH: the
// members sent). The ID and password stay.
func (a *API) updatePerson(w http.ResponseWriter, r *http.Request) {
	old, err := a.findPerson(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(old.UpdatedAt))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in personBody
	if r.Method == http.MethodPatch {
		in = bodyOfPerson(old)
	}
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	s := *old
	if err := in.spec().Apply(&s, a.region); err != nil {
		a.fail(w, r, err)
		return
	}
	if was := bodyOfPerson(old); in.Email == was.Email && in.Phone == was.Phone && in.Address == was.Address && in.Account == was.Account {
		// What the person is found by did not change: keep it exactly as
		// stored (as imported, several of a kind included), rather than
		// normalised again.
		s.Identifiers, s.Email, s.Phone = old.Identifiers, old.Email, old.Phone
	}
	a.write(w, r, &s, old.UpdatedAt)
}

// write stores s if it is still at version read, and answers it.
func (a *API) write(w http.ResponseWriter, r *http.Request, s *keypad.Subject, read time.Time) {
	s.UpdatedAt = keypad.NextUpdatedAt(read, a.now())
	if err := a.store.UpdateSubjectIf(r.Context(), s, read); err != nil {
		a.fail(w, r, taken(a.gone(err, "person", s.ID)))
		return
	}
	writeResource(w, http.StatusOK, versionTag(s.UpdatedAt), resourceOfPerson(s))
}

// deletePerson deletes a person and everything issued for them.
func (a *API) deletePerson(w http.ResponseWriter, r *http.Request) {
	old, err := a.findPerson(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(old.UpdatedAt))
	}
	if err == nil {
		err = a.gone(a.store.DeleteSubjectIf(r.Context(), old.ID, old.UpdatedAt), "person", old.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// passwordBody is what setPassword takes.
type passwordBody struct {
	Password string `json:"password"`
}

// setPassword sets a person's password (`keypad user set-password`),
// checked against the password policy and stored as its argon2id hash.
func (a *API) setPassword(w http.ResponseWriter, r *http.Request) {
	old, err := a.findPerson(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(old.UpdatedAt))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in passwordBody
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := password.Validate(in.Password); err != nil {
		a.fail(w, r, invalid("password", err.Error()))
		return
	}
	s := *old
	if s.PasswordHash, err = password.Hash(in.Password, a.rand); err != nil {
		a.fail(w, r, err)
		return
	}
	a.write(w, r, &s, old.UpdatedAt)
}

// listChannels lists where a person can get codes, masked as the OTP
// lookup shows them.
func (a *API) listChannels(w http.ResponseWriter, r *http.Request) {
	s, err := a.findPerson(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := list[channelJSON]{Items: []channelJSON{}}
	for _, c := range identifier.SubjectChannels(s) {
		out.Items = append(out.Items, channelJSON{ID: c.ID, Type: c.Type, Hint: c.Hint})
	}
	writeJSON(w, http.StatusOK, out)
}
