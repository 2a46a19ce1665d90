package oauth

import (
	"encoding/json"
	"net/http"
)

// writeJSON answers v as JSON with status: every JSON answer of the
// protocol (tokens, metadata, introspection, OTP steps, errors) goes
// through it, so they share one Content-Type and one fallback. A value
// that cannot be encoded is a bug; the client then gets server_error
// rather than half a body.
var jsonContentType = []string{"application/json"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	writeJSONBytes(w, status, b)
}

// writeJSONBytes writes b, a JSON document, with status.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	// One value slice for every response: nothing writes into a header's
	// values (Set replaces them, Add to a full slice copies), and the
	// token endpoint saves an allocation per request.
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(b)
}
