// Command goregexp-bench times Go's regexp package on the workloads that
// bench/regexp.ts times on Hush's engine, so the peer's numbers come from
// the same inputs. It is a benchmark helper, not an oracle: nothing is
// tested against its output.
//
// Input: a JSON array of workloads. Output: a JSON array of {"nsPerOp",
// "result"} in the same order; result is a count that bench/regexp.ts
// compares with its own, so the two sides are known to do the same work.
package main

import (
	"encoding/json"
	"os"
	"regexp"
	"time"
)

type workload struct {
	// "compile": compile every pattern; "match": MatchString(pattern, input) for every input;
	// "replace": ReplaceAllString(input, repl) for every input.
	Kind     string   `json:"kind"`
	Patterns []string `json:"patterns"`
	Inputs   []string `json:"inputs"`
	Repl     string   `json:"repl"`
	Rounds   int      `json:"rounds"`
}

type result struct {
	NsPerOp float64 `json:"nsPerOp"`
	Result  int     `json:"result"`
}

func run(w workload) result {
	count := 0
	ops := 0
	start := time.Now()
	for r := 0; r < w.Rounds; r++ {
		switch w.Kind {
		case "compile":
			for _, p := range w.Patterns {
				if _, err := regexp.Compile(p); err == nil {
					count++
				}
				ops++
			}
		case "match":
			re := regexp.MustCompile(w.Patterns[0])
			for _, s := range w.Inputs {
				if re.MatchString(s) {
					count++
				}
				ops++
			}
		case "replace":
			re := regexp.MustCompile(w.Patterns[0])
			for _, s := range w.Inputs {
				count += len(re.ReplaceAllString(s, w.Repl))
				ops++
			}
		}
	}
	el := time.Since(start)
	return result{NsPerOp: float64(el.Nanoseconds()) / float64(ops), Result: count / w.Rounds}
}

func main() {
	var ws []workload
	if err := json.NewDecoder(os.Stdin).Decode(&ws); err != nil {
		os.Stderr.WriteString("goregexp-bench: bad input: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([]result, len(ws))
	for i, w := range ws {
		out[i] = run(w)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
