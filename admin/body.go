package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// maxBody caps a request body: resources are small.
const maxBody = 1 << 20

// readBody reads a request's JSON body, capped at maxBody; the media
// type must be JSON (application/json, or merge-patch for PATCH).
func readBody(r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !(r.Method == http.MethodPatch && mt == "application/merge-patch+json")) {
		return nil, problem(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"send the body as JSON, with Content-Type: application/json")
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, problem(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("the body is larger than %d bytes", maxBody))
	case err != nil:
		return nil, problem(http.StatusBadRequest, "malformed", "the body could not be read: "+err.Error())
	}
	return b, nil
}

// decodeJSON reads the body into v, a pointer to a struct whose fields
// are the resource's writable members. Fields already set in v are kept
// unless the body names them (how PATCH applies). The body must be one
// JSON object naming only v's members, none of them null: anything
// else is a 400 that names the field.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeObject(b, v)
}

func decodeObject(b []byte, v any) error {
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&members); err != nil || members == nil {
		return problem(http.StatusBadRequest, "malformed", "the body must be one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem(http.StatusBadRequest, "malformed", "the body must be one JSON object, with nothing after it")
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	var bad []FieldProblem
	for _, name := range slices.Sorted(mapsKeys(members)) {
		switch {
		case !slices.Contains(known, name):
			bad = append(bad, FieldProblem{Field: name, Detail: "is not a writable field of this resource; see the OpenAPI document"})
		case string(bytes.TrimSpace(members[name])) == "null":
			bad = append(bad, FieldProblem{Field: name, Detail: "is null: give a value, or leave the field out"})
		}
	}
	if len(bad) > 0 {
		p := problem(http.StatusBadRequest, "validation", "unknown or null fields: "+fieldNames(bad))
		p.Errors = bad
		return p
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return invalid(te.Field, fmt.Sprintf("must be %s, not a JSON %s", typeWord(te.Type), te.Value))
		}
		return problem(http.StatusBadRequest, "malformed", "the body is not valid JSON: "+err.Error())
	}
	return nil
}

func mapsKeys(m map[string]json.RawMessage) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func fieldNames(ps []FieldProblem) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Field
	}
	return strings.Join(names, ", ")
}

// typeWord names a Go type as a JSON value.
func typeWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Slice:
		return "an array"
	}
	return "a JSON " + t.Kind().String()
}

var fieldCache sync.Map // reflect.Type -> []string

// jsonFields lists the JSON member names of a struct type.
func jsonFields(t reflect.Type) []string {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	fieldCache.Store(t, names)
	return names
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
