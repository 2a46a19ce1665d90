package identifier

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/keypadauth/keypad"
)

var benchAddresses = []string{
	"123 North Main Street Apt 4, Springfield, IL 62701",
	"1600 Pennsylvania Ave NW, Washington, DC 20500",
	"350 Fifth Avenue New York NY 10118-0110",
	"P.O. Box 123",
	"77 sunset blvd #12",
}

func BenchmarkAddress(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Address(benchAddresses[i%len(benchAddresses)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Phone("(415) 555-0142", "US"); err != nil {
			b.Fatal(err)
		}
	}
}

// importFile builds an import file of n rows like a utility's export.
func importFile(format string, n int) []byte {
	var buf bytes.Buffer
	if format == FormatCSV {
		buf.WriteString("external_id,name,email,phone,address,account\n")
	}
	for i := range n {
		email := fmt.Sprintf("customer%d@example.com", i)
		phone := fmt.Sprintf("(415) 555-%04d", i%10000)
		addr := fmt.Sprintf("%d North Main Street, Apt %d, Springfield, IL 62701", i%9000+1, i%40)
		if format == FormatCSV {
			fmt.Fprintf(&buf, "C-%d,Customer %d,%s,%s,\"%s\",%08d\n", i, i, email, phone, addr, i)
		} else {
			fmt.Fprintf(&buf, `{"external_id":"C-%d","name":"Customer %d","email":%q,"phone":%q,"address":%q,"account":"%08d"}`+"\n", i, i, email, phone, addr, i)
		}
	}
	return buf.Bytes()
}

// benchmarkReader reads a file of rows again and again and reports rows/s.
func benchmarkReader(b *testing.B, format string, normalise bool) {
	const rows = 10000
	data := importFile(format, rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := Normalizer{}
	total := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), format)
		if err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if normalise {
				if _, err := rec.Identifiers(n); err != nil {
					b.Fatal(err)
				}
			}
			total++
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReaderCSV(b *testing.B)              { benchmarkReader(b, FormatCSV, false) }
func BenchmarkReaderJSONL(b *testing.B)            { benchmarkReader(b, FormatJSONL, false) }
func BenchmarkReaderCSVIdentifiers(b *testing.B)   { benchmarkReader(b, FormatCSV, true) }
func BenchmarkReaderJSONLIdentifiers(b *testing.B) { benchmarkReader(b, FormatJSONL, true) }

// BenchmarkDecoysFrom is the work a decoy adds to a lookup, drawing from
// a model of 1,000 sampled people (distinct phone prefixes: the worst
// case) or from the built-in one.
func BenchmarkDecoysFrom(b *testing.B) {
	var people [][]keypad.OTPChannel
	for i := range 1000 {
		people = append(people, []keypad.OTPChannel{
			Channel(ChannelSMS, fmt.Sprintf("+1217%03d%04d", 200+i%800, i)),
			Channel(ChannelEmail, fmt.Sprintf("%c%d@d%d.example", 'a'+rune(i%26), i, i%50)),
		})
	}
	id := keypad.Identifier{Type: keypad.IdentifierAddress, Value: "125 MAIN ST"}
	for _, m := range []struct {
		name  string
		model *DecoyModel
	}{{"Sample1000", NewDecoyModel(people)}, {"BuiltIn", nil}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if cs := (Normalizer{}).DecoysFrom(testKey, id, m.model); len(cs) == 0 {
					b.Fatal("no decoy")
				}
			}
		})
	}
	b.Run("NewDecoyModel1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NewDecoyModel(people)
		}
	})
}
