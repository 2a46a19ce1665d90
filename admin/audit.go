package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
)

// eventJSON is an audit event.
type eventJSON struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	ClientID string    `json:"client_id,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	IP       string    `json:"ip,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// listAudit lists audit events newest first, filtered by ?from= and
// ?until= (RFC 3339 times; from <= time < until), ?type=, ?client_id=
// and ?subject=, a page at a time.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	p, err := parsePage(r, "from", "until", "type", "client_id", "subject")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := r.URL.Query()
	q := keypad.AuditQuery{Type: v.Get("type"), ClientID: v.Get("client_id"), Subject: v.Get("subject"), Limit: p.limit + 1}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"until", &q.Until}} {
		if s := v.Get(b.name); s != "" {
			if *b.dst, err = time.Parse(time.RFC3339Nano, s); err != nil {
				a.fail(w, r, invalid(b.name, fmt.Sprintf("%q is not an RFC 3339 time such as 2026-12-01T09:00:00Z", s)))
				return
			}
		}
	}
	if p.after != "" {
		if q.Before, err = auditCursor(p.after); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	es, err := a.store.QueryAuditEvents(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := list[eventJSON]{Items: []eventJSON{}}
	for i, e := range es {
		if i == p.limit {
			last := es[i-1]
			out.NextCursor = cursor(strconv.FormatInt(last.Time.UnixMicro(), 10) + ":" + strconv.FormatInt(last.ID, 10))
			break
		}
		out.Items = append(out.Items, eventJSON{ID: e.ID, Time: e.Time.UTC(), Type: e.Type, ClientID: e.ClientID,
			Subject: e.Subject, IP: e.IP, Detail: e.Detail})
	}
	writeJSON(w, http.StatusOK, out)
}

// auditCursor reads the position an audit cursor holds: the time and ID
// of the last event of the page before.
func auditCursor(s string) (*keypad.AuditEvent, error) {
	at, id, ok := strings.Cut(s, ":")
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, invalid("cursor", "is not a cursor of this list: pass next_cursor as it came")
	}
	return &keypad.AuditEvent{Time: time.UnixMicro(micros).UTC(), ID: n}, nil
}
