package identifier

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// readAll reads every row, collecting records and row errors; any other
// error fails the test.
func readAll(t *testing.T, r *Reader) ([]Record, []*RowError) {
	t.Helper()
	var recs []Record
	var rowErrs []*RowError
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, rowErrs
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			rowErrs = append(rowErrs, re)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			recs = append(recs, rec)
		}
	}
}

func mustReader(t *testing.T, data, format string) *Reader {
	t.Helper()
	r, err := NewReader(strings.NewReader(data), format)
	if err != nil {
		t.Fatalf("NewReader(%s): %v", format, err)
	}
	return r
}

func TestReaderCSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		data := "\xef\xbb\xbfExternal_ID, Name ,EMAIL,phone,address,account\r\n" +
			"C-1,Heather Smith,heather@example.com,(415) 555-4821,\"123 N Main St, Apt 4, Springfield, IL 62701\",0012-3456\r\n" +
			"C-2,\"Lee, Jo\",,,,\r\n" +
			"\r\n" +
			"C-3,\"Multi\nLine\",,,\"1 \"\"Quoted\"\" Rd\",\r\n"
		recs, rowErrs := readAll(t, mustReader(t, data, "CSV"))
		if len(rowErrs) != 0 {
			t.Fatalf("row errors: %v", rowErrs)
		}
		want := []Record{
			{Line: 2, ExternalID: "C-1", Name: "Heather Smith", Email: "heather@example.com", Phone: "(415) 555-4821", Address: "123 N Main St, Apt 4, Springfield, IL 62701", Account: "0012-3456"},
			{Line: 3, ExternalID: "C-2", Name: "Lee, Jo"},
			{Line: 5, ExternalID: "C-3", Name: "Multi\nLine", Address: `1 "Quoted" Rd`},
		}
		if fmt.Sprintf("%+v", recs) != fmt.Sprintf("%+v", want) {
			t.Errorf("records:\n got %+v\nwant %+v", recs, want)
		}
	})
	t.Run("ErrRows", func(t *testing.T) {
		data := "external_id,email\n" +
			"C-1,a@example.com\n" + // 2 ok
			"C-2,b@example.com,extra\n" + // 3 too many fields
			",c@example.com\n" + // 4 no external_id
			"C-4,d\"@example.com\n" + // 5 bare quote
			"C-5,e@example.com\n" + // 6 ok
			"\"C-6\",\"unterminated\n" // 7 runs to the end of the file
		recs, rowErrs := readAll(t, mustReader(t, data, "csv"))
		if got := len(recs); got != 2 || recs[0].Line != 2 || recs[1].Line != 6 {
			t.Errorf("records = %+v, want lines 2 and 6", recs)
		}
		var lines []string
		for _, e := range rowErrs {
			lines = append(lines, fmt.Sprintf("%d:%s", e.Line, e.Field))
		}
		if got, want := strings.Join(lines, " "), "3: 4:external_id 5: 7:"; got != want {
			t.Errorf("row errors at %q, want %q (%v)", got, want, rowErrs)
		}
	})
	t.Run("ErrHeader", func(t *testing.T) {
		tests := []struct{ data, want string }{
			{"", "empty"},
			{"name,email\n", "external_id"},
			{"external_id,fax,Pager\n", `"fax", "Pager"`},
			{"external_id,email,Email\n", "twice"},
		}
		for _, tt := range tests {
			_, err := NewReader(strings.NewReader(tt.data), "csv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewReader(%q) error = %v, want one mentioning %s", tt.data, err, tt.want)
			}
		}
	})
}

func TestReaderJSONL(t *testing.T) {
	data := "\xef\xbb\xbf{\"external_id\":\"C-1\",\"Email\":\"heather@example.com\",\"account\":123456}\r\n" + // 1
		"\n" + // 2
		"{\"external_id\":\"C-2\",\"fax\":\"x\"}\n" + // 3 unknown field
		"[1,2]\n" + // 4 not an object
		"{\"external_id\":\"C-3\",\"phone\":[\"a\"]}\n" + // 5 not a string
		"{\"external_id\":\"C-4\"} {\"external_id\":\"C-5\"}\n" + // 6 two values
		"{\"name\":\"nobody\",\"address\":null}\n" + // 7 no external_id
		"{\"external_id\":\"C-6\",\"address\":\"1 Main St, 94110\"}" // 8, no final newline
	recs, rowErrs := readAll(t, mustReader(t, data, "jsonl"))
	want := []Record{
		{Line: 1, ExternalID: "C-1", Email: "heather@example.com", Account: "123456"},
		{Line: 8, ExternalID: "C-6", Address: "1 Main St, 94110"},
	}
	if fmt.Sprintf("%+v", recs) != fmt.Sprintf("%+v", want) {
		t.Errorf("records:\n got %+v\nwant %+v", recs, want)
	}
	var lines []string
	for _, e := range rowErrs {
		lines = append(lines, fmt.Sprintf("%d:%s", e.Line, e.Field))
	}
	if got, want := strings.Join(lines, " "), "3: 4: 5:phone 6: 7:external_id"; got != want {
		t.Errorf("row errors at %q, want %q (%v)", got, want, rowErrs)
	}
	if !strings.Contains(rowErrs[0].Error(), `"fax"`) {
		t.Errorf("unknown field error %q does not name the field", rowErrs[0])
	}
}

func TestReaderJSONLLongLine(t *testing.T) {
	data := "{\"external_id\":\"" + strings.Repeat("x", maxJSONLine) + "\"}\n{\"external_id\":\"C-2\"}\n"
	recs, rowErrs := readAll(t, mustReader(t, data, "jsonl"))
	if len(rowErrs) != 1 || rowErrs[0].Line != 1 {
		t.Errorf("row errors = %v, want one on line 1", rowErrs)
	}
	if len(recs) != 1 || recs[0].ExternalID != "C-2" || recs[0].Line != 2 {
		t.Errorf("records = %+v, want C-2 on line 2", recs)
	}
}

// failingReader returns data, then a read error.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderErrRead(t *testing.T) {
	for _, format := range []string{"csv", "jsonl"} {
		r, err := NewReader(&failingReader{"external_id\n"}, format)
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err = r.Next()
			var re *RowError
			if !errors.As(err, &re) {
				break
			}
		}
		if err == nil || err == io.EOF || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: Next error = %v, want the read error", format, err)
		}
	}
}

func TestFormatFromName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"customers.csv", "csv"}, {"/tmp/Customers.CSV", "csv"}, {"c.jsonl", "jsonl"}, {"c.ndjson", "jsonl"},
		{"c.json", ""}, {"customers", ""}, {"c.csv.gz", ""},
	}
	for _, tt := range tests {
		got, err := FormatFromName(tt.name)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("FormatFromName(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := NewReader(strings.NewReader(""), "xml"); err == nil {
		t.Error("NewReader(xml) did not fail")
	}
}

func TestRecordIdentifiers(t *testing.T) {
	n := Normalizer{}
	t.Run("OK", func(t *testing.T) {
		rec := Record{Line: 2, ExternalID: "C-1", Email: "Heather@Example.com", Phone: "(415) 555-4821",
			Address: "123 North Main Street, Apt 4, Springfield, IL 62701", Account: "0012-3456"}
		got, err := rec.Identifiers(n)
		if err != nil {
			t.Fatal(err)
		}
		want := []keypad.Identifier{
			{Type: keypad.IdentifierEmail, Value: "heather@example.com"},
			{Type: keypad.IdentifierPhone, Value: "+14155554821"},
			{Type: keypad.IdentifierAddress, Value: "123 N MAIN ST # 4 62701"},
			{Type: keypad.IdentifierAddress, Value: "123 N MAIN ST # 4"},
			{Type: keypad.IdentifierAccount, Value: "00123456"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Identifiers = %v, want %v", got, want)
		}
		// What a kiosk lookup computes must be among them.
		for _, typed := range []string{"123 N Main St #4", "123 n. main st., apartment 4 62701"} {
			id, err := n.Parse(typed, "")
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, have := range got {
				found = found || have == id
			}
			if !found {
				t.Errorf("lookup %q computes %v, which the import did not store", typed, id)
			}
		}
		s, err := rec.Subject(n)
		if err != nil {
			t.Fatal(err)
		}
		if s.Email != "heather@example.com" || s.Phone != "+14155554821" || s.ExternalID != "C-1" || len(s.Identifiers) != len(want) {
			t.Errorf("Subject = %+v", s)
		}
	})
	t.Run("ErrField", func(t *testing.T) {
		tests := []struct {
			rec   Record
			field string
		}{
			{Record{Line: 7, ExternalID: "C", Email: "nope"}, "email"},
			{Record{Line: 7, ExternalID: "C", Phone: "555"}, "phone"},
			{Record{Line: 7, ExternalID: "C", Address: "Main Street"}, "address"},
			{Record{Line: 7, ExternalID: "C", Account: "1/2"}, "account"},
		}
		for _, tt := range tests {
			_, err := tt.rec.Identifiers(n)
			var re *RowError
			if !errors.As(err, &re) || re.Line != 7 || re.Field != tt.field {
				t.Errorf("Identifiers(%+v) error = %v, want a RowError on line 7 for %s", tt.rec, err, tt.field)
			}
		}
		if _, err := (Record{Line: 3}).Subject(n); err == nil {
			t.Error("Subject without external_id did not fail")
		}
	})
}
