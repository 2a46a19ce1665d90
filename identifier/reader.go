package identifier

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Import file formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// Columns are the fields an import row may have, as CSV header names
// (case-insensitive) or JSON keys. external_id is required: it makes
// re-running an import update people instead of duplicating them.
var Columns = []string{"external_id", "username", "name", "email", "phone", "address", "account", "preferred_language"}

// maxJSONLine bounds one JSON Lines row; a customer record is a few
// hundred bytes, so a longer line is a broken file, not a customer.
const maxJSONLine = 1 << 20

// RowError is a problem with one row of an import file. The row is
// skipped; Reader.Next goes on with the next row when called again.
type RowError struct {
	// Line is the file line the row starts on, counting from 1 (the CSV
	// header is line 1).
	Line int
	// Field is the column at fault, or "" when the row as a whole is.
	Field  string
	Reason string
}

func (e *RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// FormatFromName picks the import format from a file name: ".csv" is
// CSV, ".jsonl" and ".ndjson" are JSON Lines.
func FormatFromName(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q from its name: use a .csv or .jsonl file, or give the format (csv or jsonl)", name)
}

// Reader streams customer records from an import file, one row at a
// time, so a file of millions of rows needs no more memory than one row.
type Reader struct {
	next func() (Record, error)
}

// NewReader reads records in format ("csv" or "jsonl") from r. A leading
// UTF-8 byte order mark (as spreadsheets write) is skipped, and CRLF line
// ends are accepted. For CSV it reads the header row at once: unknown or
// repeated column names, or a missing external_id column, are an error
// here, before any row is read.
func NewReader(r io.Reader, format string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	switch strings.ToLower(format) {
	case FormatCSV:
		c, err := newCSVReader(br)
		if err != nil {
			return nil, err
		}
		return &Reader{next: c.next}, nil
	case FormatJSONL:
		j := &jsonlReader{r: br}
		return &Reader{next: j.next}, nil
	}
	return nil, fmt.Errorf("unknown import format %q: use csv or jsonl", format)
}

// Next returns the next record. It returns io.EOF after the last one, a
// *RowError for a row that cannot be read (call Next again to go on), and
// any other error when the file itself cannot be read further.
func (r *Reader) Next() (Record, error) { return r.next() }

type csvReader struct {
	r      *csv.Reader
	cols   []int // cols[i] is the index in Columns of the file's column i
	header int
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("the file is empty: its first line must name the columns, e.g. %s", strings.Join(Columns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the header line: %w", err)
	}
	c := &csvReader{r: cr, cols: make([]int, len(header)), header: len(header)}
	var unknown []string
	seen := make(map[int]bool)
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		idx := slices.Index(Columns, name)
		switch {
		case idx < 0:
			unknown = append(unknown, fmt.Sprintf("%q", h))
		case seen[idx]:
			return nil, fmt.Errorf("the header names column %q twice: keep one", name)
		}
		seen[idx] = true
		c.cols[i] = idx
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown column(s) %s in the header: the columns are %s", strings.Join(unknown, ", "), strings.Join(Columns, ", "))
	}
	if !seen[0] {
		return nil, fmt.Errorf("the header has no external_id column: add one holding each customer's ID in your system")
	}
	return c, nil
}

func (c *csvReader) next() (Record, error) {
	row, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{}, &RowError{Line: pe.StartLine, Reason: "is not valid CSV: " + pe.Err.Error() + "; quote fields that hold commas or quotes"}
		}
		if err == io.EOF {
			return Record{}, io.EOF
		}
		return Record{}, fmt.Errorf("cannot read the import file: %w", err)
	}
	line, _ := c.r.FieldPos(0)
	if len(row) != c.header {
		return Record{}, &RowError{Line: line, Reason: fmt.Sprintf("has %d fields but the header has %d; quote fields that hold commas", len(row), c.header)}
	}
	rec := Record{Line: line}
	for i, v := range row {
		*rec.field(c.cols[i]) = strings.TrimSpace(v)
	}
	return rec, rec.check()
}

type jsonlReader struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

func (j *jsonlReader) next() (Record, error) {
	for {
		b, err := j.readLine()
		if err != nil {
			return Record{}, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		return j.parse(b)
	}
}

// readLine returns the next line without its line end. A line longer
// than maxJSONLine is skipped and reported as a *RowError.
func (j *jsonlReader) readLine() ([]byte, error) {
	j.buf = j.buf[:0]
	tooLong := false
	for {
		chunk, err := j.r.ReadSlice('\n')
		if !tooLong {
			j.buf = append(j.buf, chunk...)
			if len(j.buf) > maxJSONLine {
				tooLong, j.buf = true, j.buf[:0]
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(chunk) == 0 && len(j.buf) == 0 && !tooLong:
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, fmt.Errorf("cannot read the import file: %w", err)
		}
		j.line++
		if tooLong {
			return nil, &RowError{Line: j.line, Reason: fmt.Sprintf("is longer than %d bytes; each line must hold one customer", maxJSONLine)}
		}
		return bytes.TrimRight(j.buf, "\r\n"), nil
	}
}

func (j *jsonlReader) parse(b []byte) (Record, error) {
	rec := Record{Line: j.line}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return Record{}, &RowError{Line: j.line, Reason: "is not a JSON object; each line must hold one object, e.g. {\"external_id\":\"C-1\",\"email\":\"a@example.com\"}"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Record{}, &RowError{Line: j.line, Reason: "holds more than one JSON value; put each customer on its own line"}
	}
	var unknown []string
	for k, v := range obj {
		idx := slices.Index(Columns, strings.ToLower(k))
		if idx < 0 {
			unknown = append(unknown, fmt.Sprintf("%q", k))
			continue
		}
		switch v := v.(type) {
		case string:
			*rec.field(idx) = strings.TrimSpace(v)
		case json.Number:
			*rec.field(idx) = v.String()
		case nil:
		default:
			return Record{}, &RowError{Line: j.line, Field: Columns[idx], Reason: "must be a string"}
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return Record{}, &RowError{Line: j.line, Reason: fmt.Sprintf("unknown field(s) %s: the fields are %s", strings.Join(unknown, ", "), strings.Join(Columns, ", "))}
	}
	return rec, rec.check()
}
