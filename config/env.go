package config

import (
	"fmt"
	"slices"
	"strings"
)

// otherEnv are KEYPAD_ variables that are not settings but are read
// elsewhere: the file of settings, the CLI's remote mode (--server and
// its credentials) and the test suite's switches.
var otherEnv = []string{"KEYPAD_CONFIG", "KEYPAD_SERVER", "KEYPAD_ADMIN_TOKEN", "KEYPAD_ADMIN_CLIENT_ID", "KEYPAD_ADMIN_CLIENT_SECRET", "KEYPAD_ADMIN_TOKEN_URL", "KEYPAD_CHROMIUM", "KEYPAD_UPDATE_SCREENSHOTS"}

// otherEnvPrefixes are families of such variables (tests, benchmarks).
var otherEnvPrefixes = []string{"KEYPAD_TEST_", "KEYPAD_BENCH_"}

// UnknownEnv returns a warning for each KEYPAD_ variable in environ
// ("NAME=value" pairs, as os.Environ gives them) that keypad does not
// read, naming the closest setting: a misspelt variable would otherwise
// be a setting silently not applied. Values are never quoted (secrets
// travel there).
func UnknownEnv(environ []string) []string {
	var known []string
	for _, k := range Keys {
		known = append(known, k.Env())
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "KEYPAD_") || slices.Contains(known, name) || slices.Contains(otherEnv, name) ||
			slices.ContainsFunc(otherEnvPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		msg := fmt.Sprintf("%s is not a keypad setting and is ignored", name)
		if near := closest(name, known); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		} else {
			msg += " (see docs/configuration.md for the KEYPAD_* variables)"
		}
		out = append(out, msg)
	}
	return out
}

// closest returns the candidate within a few edits of name, or "".
func closest(name string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
