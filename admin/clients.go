package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// createClient registers a client (`keypad client create`): 201 with the
// client, its secret shown this once.
func (a *API) createClient(w http.ResponseWriter, r *http.Request) {
	var in clientBody
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.clientOf(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if c.ID == "" {
		if c.ID, err = manage.NewID(a.rand, ""); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	secret, err := manage.IssueSecret(a.rand, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	c.CreatedAt = keypad.NextUpdatedAt(c.CreatedAt, a.now())
	c.UpdatedAt = c.CreatedAt
	if err := a.store.CreateClient(r.Context(), c); err != nil {
		if errors.Is(err, keypad.ErrConflict) {
			err = problem(http.StatusConflict, "conflict", fmt.Sprintf("a client with ID %q already exists: choose another client_id, or leave it out to have one drawn", c.ID))
		}
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", Prefix+"clients/"+c.ID)
	writeResource(w, http.StatusCreated, versionTag(c.UpdatedAt), resourceOfClient(c, secret))
}

// clientOf is the client a body describes, checked as the CLI checks it.
func (a *API) clientOf(r *http.Request, in clientBody) (*keypad.Client, error) {
	spec, err := in.spec()
	if err != nil {
		return nil, err
	}
	c, err := spec.Client()
	if err != nil {
		return nil, err
	}
	if err := manage.CheckSAMLIdPs(r.Context(), a.store, c); err != nil {
		return nil, err
	}
	return c, nil
}

// listClients lists clients ordered by ID.
func (a *API) listClients(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cs, err := a.store.ListClients(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, window(cs, p, func(c *keypad.Client) string { return c.ID },
		func(c *keypad.Client) clientResource { return resourceOfClient(c, "") }))
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) {
	c, err := a.findClient(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeResource(w, http.StatusOK, versionTag(c.UpdatedAt), resourceOfClient(c, ""))
}

// findClient reads the client the path names.
func (a *API) findClient(r *http.Request) (*keypad.Client, error) {
	id := r.PathValue("id")
	c, err := a.store.GetClient(r.Context(), id)
	if errors.Is(err, keypad.ErrNotFound) {
		return nil, problem(http.StatusNotFound, "not-found", fmt.Sprintf("no client %q: see GET /admin/v1/clients", id))
	}
	return c, err
}

// updateClient replaces a client's registration (PUT: the whole of it;
// PATCH: the members sent, as `keypad client update` changes only the
// flags given). The ID, the secret and public stay.
func (a *API) updateClient(w http.ResponseWriter, r *http.Request) {
	old, err := a.findClient(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(old.UpdatedAt))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in clientBody
	if r.Method == http.MethodPatch {
		in = bodyOfClient(old)
	}
	if err := decodeJSON(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	switch {
	case in.ClientID != "" && in.ClientID != old.ID:
		a.fail(w, r, invalid("client_id", "cannot change: it is in the path"))
		return
	case in.Public != old.Public:
		a.fail(w, r, invalid("public", fmt.Sprintf("cannot change (the client is public: %t): delete the client and create it again", old.Public)))
		return
	}
	in.ClientID = old.ID
	c, err := a.clientOf(r, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	c.SecretHash, c.CreatedAt = old.SecretHash, old.CreatedAt
	c.UpdatedAt = keypad.NextUpdatedAt(old.UpdatedAt, a.now())
	err = a.store.UpdateClientIf(r.Context(), c, old.UpdatedAt)
	a.oauth.ForgetClient(c.ID)
	if err != nil {
		a.fail(w, r, a.gone(err, "client", old.ID))
		return
	}
	writeResource(w, http.StatusOK, versionTag(c.UpdatedAt), resourceOfClient(c, ""))
}

// deleteClient deletes a client and every token and grant issued to it.
func (a *API) deleteClient(w http.ResponseWriter, r *http.Request) {
	old, err := a.findClient(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(old.UpdatedAt))
	}
	if err == nil {
		err = a.gone(a.store.DeleteClientIf(r.Context(), old.ID, old.UpdatedAt), "client", old.ID)
		a.oauth.ForgetClient(old.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rotateSecret replaces a client's secret: the old one stops working, the
// new one is in the answer, this once.
func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) {
	c, err := a.findClient(r)
	if err == nil {
		err = checkIfMatch(r, versionTag(c.UpdatedAt))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if !manage.TakesSecret(c) {
		a.fail(w, r, problem(http.StatusConflict, "conflict", fmt.Sprintf(
			"client %s has no secret to rotate: it is public, or authenticates with private_key_jwt (change its keys instead)", c.ID)))
		return
	}
	read := c.UpdatedAt
	secret, err := manage.IssueSecret(a.rand, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	c.UpdatedAt = keypad.NextUpdatedAt(read, a.now())
	err = a.store.UpdateClientIf(r.Context(), c, read)
	a.oauth.ForgetClient(c.ID)
	if err != nil {
		a.fail(w, r, a.gone(err, "client", c.ID))
		return
	}
	writeResource(w, http.StatusOK, versionTag(c.UpdatedAt), resourceOfClient(c, secret))
}

// gone words a conditional write's ErrNotFound (the resource went
// between the read and the write) as a 404.
func (a *API) gone(err error, kind, id string) error {
	if errors.Is(err, keypad.ErrNotFound) {
		return problem(http.StatusNotFound, "not-found", fmt.Sprintf("%s %q was deleted meanwhile", kind, id))
	}
	return err
}
