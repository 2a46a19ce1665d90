package qrcode

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerminal(t *testing.T) {
	var b strings.Builder
	if err := Terminal(&b, uri); err != nil {
		t.Fatal(err)
	}
	want := wantModules(t, uri)
	n := len(want)
	lines := strings.SplitAfter(b.String(), "\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("output ends in %q, want a newline", last)
	}
	lines = lines[:len(lines)-1]
	if got, want := len(lines), (n+1)/2; got != want {
		t.Fatalf("got %d lines, want %d (two module rows a line)", got, want)
	}
	// Each character is a pair of stacked modules; an odd last line's
	// lower half must be light.
	decode := map[rune][2]bool{' ': {false, false}, '▄': {false, true}, '▀': {true, false}, '█': {true, true}}
	got := make([][]bool, 2*len(lines))
	for i, line := range lines {
		body, ok := strings.CutPrefix(line, "\x1b[30;47m")
		body, ok2 := strings.CutSuffix(body, "\x1b[0m\n")
		if !ok || !ok2 {
			t.Fatalf("line %d = %q, want it wrapped in black-on-white and reset", i, line)
		}
		if c := utf8.RuneCountInString(body); c != n {
			t.Fatalf("line %d has %d characters, want %d", i, c, n)
		}
		for _, r := range body {
			pair, ok := decode[r]
			if !ok {
				t.Fatalf("line %d holds %q, want only half blocks and spaces", i, r)
			}
			got[2*i] = append(got[2*i], pair[0])
			got[2*i+1] = append(got[2*i+1], pair[1])
		}
	}
	if n%2 == 1 {
		for x, dark := range got[n] {
			if dark {
				t.Fatalf("padding row, module %d is dark", x)
			}
		}
		got = got[:n]
	}
	mustEqualModules(t, got, want)
}

func TestASCII(t *testing.T) {
	var b strings.Builder
	if err := ASCII(&b, uri); err != nil {
		t.Fatal(err)
	}
	want := wantModules(t, uri)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	got := make([][]bool, len(lines))
	for y, line := range lines {
		if len(line) != 2*len(want) {
			t.Fatalf("line %d is %d bytes, want %d", y, len(line), 2*len(want))
		}
		for x := 0; x < len(line); x += 2 {
			switch line[x : x+2] {
			case "##":
				got[y] = append(got[y], true)
			case "  ":
				got[y] = append(got[y], false)
			default:
				t.Fatalf("line %d holds %q, want \"##\" or two spaces", y, line[x:x+2])
			}
		}
	}
	mustEqualModules(t, got, want)
}
