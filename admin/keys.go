package admin

import (
	"net/http"
	"time"

	"github.com/keypadauth/keypad/manage"
)

// keyJSON is a signing key as the API lists it: never its private half.
type keyJSON struct {
	KID       string    `json:"kid"`
	Algorithm string    `json:"alg"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// listKeys lists the signing keys, newest first (`keypad keys list`).
func (a *API) listKeys(w http.ResponseWriter, r *http.Request) {
	if err := noQuery(r); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeKeys(w, r, http.StatusOK)
}

func (a *API) writeKeys(w http.ResponseWriter, r *http.Request, status int) {
	ks, err := a.store.ListKeys(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	now := a.now()
	out := list[keyJSON]{Items: []keyJSON{}}
	for _, k := range ks {
		out.Items = append(out.Items, keyJSON{KID: k.ID, Algorithm: k.Algorithm, Status: manage.KeyStatus(k, now),
			CreatedAt: k.CreatedAt.UTC(), RetiredAt: k.RetiredAt.UTC()})
	}
	writeJSON(w, status, out)
}

// rotateKeys creates a new key of each algorithm and retires the current
// ones (`keypad keys rotate`); it answers the keys after.
func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request) {
	if err := a.keys.Rotate(r.Context()); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeKeys(w, r, http.StatusOK)
}
