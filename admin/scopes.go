package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/keypadauth/keypad"
)

// scopeJSON is a catalogue entry: the description is what people read
// on consent pages and in code messages.
type scopeJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Descriptions are Description in other languages, by BCP 47 tag.
	Descriptions keypad.Descriptions `json:"descriptions"`
}

// scopeBody is what PUT takes: the name is in the path.
type scopeBody struct {
	Description  string              `json:"description"`
	Descriptions keypad.Descriptions `json:"descriptions"`
}

// jsonOfScope is s as the API answers it.
func jsonOfScope(s *keypad.Scope) scopeJSON {
	d := s.Descriptions
	if d == nil {
		d = keypad.Descriptions{}
	}
	return scopeJSON{s.Name, s.Description, d}
}

// scopeTag is a scope's version: a hash of its descriptions in every
// language.
func scopeTag(s *keypad.Scope) string {
	b, _ := json.Marshal(jsonOfScope(s))
	return contentTag(string(b))
}

func (a *API) listScopes(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ss, err := a.store.ListScopes(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, window(ss, p, func(s *keypad.Scope) string { return s.Name },
		jsonOfScope))
}

// findScope reads the scope the path names.
func (a *API) findScope(r *http.Request) (*keypad.Scope, error) {
	name := r.PathValue("name")
	s, err := a.store.GetScope(r.Context(), name)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no scope %q: see GET /admin/v1/scopes", name))
	}
	return s, err
}

func (a *API) getScope(w http.ResponseWriter, r *http.Request) {
	s, err := a.findScope(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, scopeTag(s), jsonOfScope(s))
}

// putScope adds a scope (201) or replaces its description (200; with
// If-Match, only from that version), as `keypad scope create` does.
func (a *API) putScope(w http.ResponseWriter, r *http.Request) {
	var in scopeBody
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	s := &keypad.Scope{Name: r.PathValue("name"), Description: in.Description}
	if len(in.Descriptions) > 0 {
		s.Descriptions = in.Descriptions
	}
	if err := s.Validate(); err != nil {
		a.fail(w, r, err)
		return
	}
	old, err := a.findScope(r)
	var nf *Problem
	switch {
	case errors.As(err, &nf) && nf.Status == http.StatusNotFound && r.Header.Get("If-Match") == "":
		if err := a.store.PutScope(r.Context(), s); err != nil {
			a.fail(w, r, err)
			return
		}
		w.Header().Set("Location", Prefix+"scopes/"+s.Name)
		writeResource(w, http.StatusCreated, scopeTag(s), jsonOfScope(s))
		return
	case err == nil:
		err = checkIfMatch(r, scopeTag(old))
	}
	if err == nil {
		err = a.gone(a.store.PutScopeIf(r.Context(), s, old), "scope", s.Name)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, scopeTag(s), jsonOfScope(s))
}

func (a *API) deleteScope(w http.ResponseWriter, r *http.Request) {
	old, err := a.findScope(r)
	if err == nil {
		err = checkIfMatch(r, scopeTag(old))
	}
	if err == nil {
		err = a.gone(a.store.DeleteScopeIf(r.Context(), old), "scope", old.Name)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
