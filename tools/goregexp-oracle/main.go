// Command goregexp-oracle answers, for each case read from stdin, what Go's
// regexp package does with it. Hush's Go-regexp layer is tested against these
// answers, so they must come from the standard library and nothing else.
//
// Build with Go 1.25 or newer: \p{Letter}-style names and repeated group names
// follow its rules.
//
// Input: a JSON array of {"pattern", "input", "repl", "n"}. Output: a JSON
// array of results in the same order. Offsets are in UTF-16 code units, the
// unit JavaScript strings are indexed in, so the two sides compare directly.
package main

import (
	"encoding/json"
	"os"
	"regexp"
	"unicode/utf16"
)

type request struct {
	Pattern string `json:"pattern"`
	Input   string `json:"input"`
	Repl    string `json:"repl"`
	N       *int   `json:"n"`
}

type response struct {
	OK      bool     `json:"ok"`
	Err     string   `json:"err,omitempty"`
	Names   []string `json:"names,omitempty"`
	Match   bool     `json:"match"`
	All     [][]int  `json:"all"`
	Replace string   `json:"replace"`
	Literal string   `json:"literal"`
	Split   []string `json:"split"`
}

// utf16Offset turns a byte offset into s into a UTF-16 offset; -1 (an
// unmatched group) stays -1.
func utf16Offset(s string, b int) int {
	if b < 0 {
		return -1
	}
	return len(utf16.Encode([]rune(s[:b])))
}

func answer(q request) response {
	re, err := regexp.Compile(q.Pattern)
	if err != nil {
		return response{Err: err.Error()}
	}
	n := -1
	if q.N != nil {
		n = *q.N
	}
	r := response{OK: true, Names: re.SubexpNames(), Match: re.MatchString(q.Input)}
	r.All = [][]int{}
	for _, m := range re.FindAllStringSubmatchIndex(q.Input, n) {
		conv := make([]int, len(m))
		for i, b := range m {
			conv[i] = utf16Offset(q.Input, b)
		}
		r.All = append(r.All, conv)
	}
	r.Replace = re.ReplaceAllString(q.Input, q.Repl)
	r.Literal = re.ReplaceAllLiteralString(q.Input, q.Repl)
	r.Split = re.Split(q.Input, n)
	return r
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		os.Stderr.WriteString("goregexp-oracle: bad input: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([]response, len(reqs))
	for i, q := range reqs {
		out[i] = answer(q)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
