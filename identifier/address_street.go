package identifier

// The delivery-line parser: from the words of one street line (city and
// ZIP already split off by ParseAddress) to its Publication 28 form.

import (
	"strconv"
	"strings"
	"unicode"
)

// parsedStreet is the delivery line found at the start of a token list.
type parsedStreet struct {
	out []string
	// end is how many input tokens the delivery line used; the rest is the
	// city.
	end int
	// structured means a suffix, unit or box marked where the street ends;
	// without one the whole input is taken as the street.
	structured bool
}

// parseStreet reads [number] [predirectional] name [suffix [route number]]
// [postdirectional] [units] and leaves the rest (the city) unread.
func parseStreet(s []string) parsedStreet {
	if r, ok := parseBox(s); ok {
		return r
	}
	var out []string
	i := 0
	if len(s) > 0 && isDigit(rune(s[0][0])) {
		out = append(out, s[0])
		i++
		if i < len(s) && isFraction(s[i]) {
			out = append(out, s[i])
			i++
		}
	} else if len(s) > 1 {
		if d, ok := numberWords[s[0]]; ok {
			if _, ord := ordinalWords[s[1]]; !ord {
				out = append(out, d)
				i++
			}
		}
	}
	rest := s[i:]
	if k := chooseSuffix(rest); k >= 0 {
		info := suffixes[rest[k]]
		tail := []string{info.abbr}
		j := k + 1
		if info.route && j < len(rest) && isRange(rest[j]) && hasDigit(rest[j]) {
			tail = append(tail, cleanRange(rest[j]))
			j++
		}
		if d, n := directionalAt(rest, j); n > 0 {
			tail = append(tail, d)
			j += n
		}
		u, end := parseUnits(rest, j, true)
		out = append(out, streetName(rest[:k], true)...)
		out = append(out, tail...)
		out = append(out, u...)
		return parsedStreet{out: out, end: i + end, structured: true}
	}
	for k := 1; k < len(rest); k++ {
		if u, ok := units[rest[k]]; !ok || !u.needRange {
			continue
		}
		if us, end := parseUnits(rest, k, false); len(us) > 0 {
			out = append(out, streetName(rest[:k], false)...)
			out = append(out, us...)
			return parsedStreet{out: out, end: i + end, structured: true}
		}
	}
	out = append(out, streetName(rest, false)...)
	return parsedStreet{out: out, end: len(s)}
}

// parseBox reads "PO BOX 123" (and "P O BOX", "POST OFFICE BOX", "BOX")
// and rural routes "RR 2 BOX 5" (and "RURAL ROUTE", "HC", "HIGHWAY
// CONTRACT").
func parseBox(s []string) (parsedStreet, bool) {
	i := 0
	switch {
	case hasHead(s, "PO", "BOX"):
		i = 2
	case hasHead(s, "P", "O", "BOX"), hasHead(s, "POST", "OFFICE", "BOX"):
		i = 3
	case hasHead(s, "POB"), hasHead(s, "POBOX"), hasHead(s, "BOX"):
		i = 1
	}
	if i > 0 {
		if i < len(s) && isRange(s[i]) {
			return parsedStreet{out: []string{"PO", "BOX", cleanRange(s[i])}, end: i + 1, structured: true}, true
		}
		return parsedStreet{}, false
	}
	route := ""
	switch {
	case hasHead(s, "RR"):
		route, i = "RR", 1
	case hasHead(s, "RURAL", "ROUTE"), hasHead(s, "RURAL", "RTE"):
		route, i = "RR", 2
	case hasHead(s, "HC"):
		route, i = "HC", 1
	case hasHead(s, "HIGHWAY", "CONTRACT"):
		route, i = "HC", 2
	}
	if route == "" || i >= len(s) || !isRange(s[i]) || !hasDigit(s[i]) {
		return parsedStreet{}, false
	}
	out := []string{route, cleanRange(s[i])}
	i++
	if i+1 < len(s) && s[i] == "BOX" && isRange(s[i+1]) {
		out = append(out, "BOX", cleanRange(s[i+1]))
		i += 2
	}
	return parsedStreet{out: out, end: i, structured: true}, true
}

// chooseSuffix finds the street suffix in the words after the house
// number. A suffix needs a name before it, except a route ("HWY 9"). When
// several words could be the suffix, the last strong one wins ("LAKE
// SHORE DR"), skipping an "ST" that starts a city's name ("MAIN ST ST
// LOUIS"); a weak one (PARK, SPRINGS) is used only when there is no strong
// one.
func chooseSuffix(rest []string) int {
	candidate := func(k int) (suffixInfo, bool) {
		info, ok := suffixes[rest[k]]
		if !ok {
			return info, false
		}
		if k == 0 {
			return info, info.route && len(rest) > 1 && hasDigit(rest[1]) && isRange(rest[1])
		}
		return info, true
	}
	var strong []int
	for k := range rest {
		if info, ok := candidate(k); ok && info.strong {
			strong = append(strong, k)
		}
	}
	for x := len(strong) - 1; x >= 0; x-- {
		k := strong[x]
		if x > 0 && rest[k] == "ST" && k+1 < len(rest) && isPlainWord(rest[k+1]) {
			continue
		}
		return k
	}
	for k := len(rest) - 1; k >= 0; k-- {
		if _, ok := candidate(k); ok {
			return k
		}
	}
	return -1
}

// parseUnits reads secondary units from s[j:]: "APT 4", "BLDG A # 4",
// "REAR", "2ND FL". With allowBare a lone number after the suffix is a
// unit too ("MAIN ST 4B" is "MAIN ST # 4B").
func parseUnits(s []string, j int, allowBare bool) ([]string, int) {
	var out []string
	for j < len(s) {
		t := s[j]
		if j+1 < len(s) && units[s[j+1]].abbr == "FL" {
			if n, ok := ordinalNumber(t); ok {
				out = append(out, "FL", n)
				j += 2
				continue
			}
		}
		if u, ok := units[t]; ok {
			if u.needRange {
				k := j + 1
				if k < len(s) && s[k] == "#" && t != "#" {
					k++
				}
				if k < len(s) && isRange(s[k]) {
					out = append(out, u.abbr, cleanRange(s[k]))
					j = k + 1
					continue
				}
				break
			}
			out = append(out, u.abbr)
			j++
			if j < len(s) && isRange(s[j]) && hasDigit(s[j]) {
				out = append(out, cleanRange(s[j]))
				j++
			}
			continue
		}
		if allowBare && len(out) == 0 && isRange(t) && hasDigit(t) {
			out = append(out, "#", cleanRange(t))
			j++
			continue
		}
		break
	}
	return out, j
}

// streetName normalises the name words: a leading directional that is not
// the whole name becomes its abbreviation (Pub 28: "NORTH MAIN" is "N
// MAIN", "NORTH ST" stays), spelled ordinals become numbers ("FIFTH" is
// "5TH") and a bare number before a suffix gets its ordinal ("W 42 ST" is
// "W 42ND ST"). Without a suffix, a trailing directional is the
// post-directional.
func streetName(name []string, hasSuffix bool) []string {
	var ts []string
	for _, t := range name {
		if t != "#" { // a "#" without a unit number means nothing
			ts = append(ts, t)
		}
	}
	var out []string
	if d, n := preDirectional(ts); n > 0 {
		out = append(out, d)
		ts = ts[n:]
	}
	var post string
	if !hasSuffix {
		if d, n := postDirectional(ts); n > 0 {
			post = d
			ts = ts[:len(ts)-n]
		}
	}
	if hasSuffix && len(ts) == 1 && allDigits(ts[0]) && len(ts[0]) <= 4 {
		n, _ := strconv.Atoi(ts[0])
		return append(out, ordinal(n))
	}
	for x := 0; x < len(ts); x++ {
		t := ts[x]
		if tens, ok := tensWords[t]; ok && x+1 < len(ts) {
			if o, ok := ordinalWords[ts[x+1]]; ok && o < 10 {
				out = append(out, ordinal(tens+o))
				x++
				continue
			}
		}
		if o, ok := ordinalWords[t]; ok {
			out = append(out, ordinal(o))
			continue
		}
		out = append(out, t)
	}
	if post != "" {
		out = append(out, post)
	}
	return out
}

// compound joins "NORTH WEST" (or "N W") into "NW".
func compound(a, b string) (string, bool) {
	x, y := directionals[a], directionals[b]
	if (x == "N" || x == "S") && (y == "E" || y == "W") {
		return x + y, true
	}
	return "", false
}

// preDirectional finds a directional at the start of a name that leaves
// at least one word of name after it.
func preDirectional(ts []string) (string, int) {
	if len(ts) >= 3 {
		if d, ok := compound(ts[0], ts[1]); ok {
			return d, 2
		}
	}
	if len(ts) >= 2 {
		if d, ok := directionals[ts[0]]; ok {
			return d, 1
		}
	}
	return "", 0
}

// postDirectional finds a directional at the end of a name that leaves at
// least one word of name before it.
func postDirectional(ts []string) (string, int) {
	n := len(ts)
	if n >= 3 {
		if d, ok := compound(ts[n-2], ts[n-1]); ok {
			return d, 2
		}
	}
	if n >= 2 {
		if d, ok := directionals[ts[n-1]]; ok {
			return d, 1
		}
	}
	return "", 0
}

// directionalAt finds a directional at s[j], as after a suffix.
func directionalAt(s []string, j int) (string, int) {
	if j+1 < len(s) {
		if d, ok := compound(s[j], s[j+1]); ok {
			return d, 2
		}
	}
	if j < len(s) {
		if d, ok := directionals[s[j]]; ok {
			return d, 1
		}
	}
	return "", 0
}

// ordinalNumber reads "2ND" or "SECOND" as "2".
func ordinalNumber(t string) (string, bool) {
	if o, ok := ordinalWords[t]; ok {
		return strconv.Itoa(o), true
	}
	if len(t) > 2 && len(t) <= 6 && allDigits(t[:len(t)-2]) {
		n, _ := strconv.Atoi(t[:len(t)-2])
		if ordinal(n) == t {
			return t[:len(t)-2], true
		}
	}
	return "", false
}

// ordinal writes n as "1ST", "2ND", "11TH", "23RD".
func ordinal(n int) string {
	suffix := "TH"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "ST"
		case 2:
			suffix = "ND"
		case 3:
			suffix = "RD"
		}
	}
	return strconv.Itoa(n) + suffix
}

// isRange reports whether t can be a unit or box number: short, ASCII
// letters and digits (hyphens ignored), with a digit or a single letter.
func isRange(t string) bool {
	c := cleanRange(t)
	if c == "" || len(c) > 10 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isASCIIAlnum(c[i]) {
			return false
		}
	}
	return hasDigit(c) || len(c) == 1
}

func cleanRange(t string) string { return strings.ReplaceAll(t, "-", "") }

// isPlainWord reports whether t is an ordinary word: letters only, and
// not a directional, suffix or unit.
func isPlainWord(t string) bool {
	for _, r := range t {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	_, d := directionals[t]
	_, s := suffixes[t]
	_, u := units[t]
	return !d && !s && !u
}

func isFraction(t string) bool {
	a, b, ok := strings.Cut(t, "/")
	return ok && a != "" && b != "" && allDigits(a) && allDigits(b)
}

func hasHead(s []string, words ...string) bool {
	if len(s) < len(words) {
		return false
	}
	for i, w := range words {
		if s[i] != w {
			return false
		}
	}
	return true
}

func hasTail(s []string, words []string) bool {
	if len(s) < len(words) {
		return false
	}
	off := len(s) - len(words)
	for i, w := range words {
		if s[off+i] != w {
			return false
		}
	}
	return true
}

func hasLetterAndDigit(s string) bool {
	var l, d bool
	for _, r := range s {
		l = l || unicode.IsLetter(r)
		d = d || unicode.IsDigit(r)
	}
	return l && d
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func hasDigit(t string) bool {
	for i := 0; i < len(t); i++ {
		if isDigit(rune(t[i])) {
			return true
		}
	}
	return false
}

func allDigits(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !isDigit(rune(t[i])) {
			return false
		}
	}
	return true
}

func splitSpace(s string) []string { return strings.Fields(s) }
