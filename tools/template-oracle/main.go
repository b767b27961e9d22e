// Command template-oracle renders a batch of templates the way ESO does
// (text/template, missingkey=error, sprig minus env/expandenv/getHostByName,
// plus ESO's helper functions) and answers shape checks on outputs that are
// random by design (bcrypt hashes, keys, certificates, PKCS#12 bundles).
//
// Input on stdin, output on stdout, both JSON:
//
//	{"cases": [{"template": "...", "data": {"k": "<base64>"}, "json": "...", "left": "", "right": "", "now": "RFC3339"}],
//	 "checks": [{"kind": "bcrypt", ...}]}
//	{"results": [{"ok": true, "out": "<base64>"} | {"ok": false, "err": "..."}], "checks": [...]}
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

type testCase struct {
	Name     string            `json:"name"`
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
	JSON     *string           `json:"json"`
	Left     string            `json:"left"`
	Right    string            `json:"right"`
	Now      string            `json:"now"`
}

type result struct {
	OK  bool   `json:"ok"`
	Out string `json:"out,omitempty"`
	Err string `json:"err,omitempty"`
}

type request struct {
	Cases  []testCase        `json:"cases"`
	Checks []json.RawMessage `json:"checks"`
}

type response struct {
	Results []result `json:"results"`
	Checks  []any    `json:"checks"`
}

func funcMap(now *time.Time) template.FuncMap {
	fm := sprig.TxtFuncMap()
	// Removed by ESO: templates must not read the environment or the network.
	delete(fm, "env")
	delete(fm, "expandenv")
	delete(fm, "getHostByName")
	for k, v := range esoFuncs() {
		fm[k] = v
	}
	if now != nil {
		fixed := *now
		fm["now"] = func() time.Time { return fixed }
	}
	return fm
}

func render(c testCase) (res result) {
	defer func() {
		if r := recover(); r != nil {
			res = result{OK: false, Err: fmt.Sprintf("panic: %v", r)}
		}
	}()
	var now *time.Time
	if c.Now != "" {
		t, err := time.Parse(time.RFC3339Nano, c.Now)
		if err != nil {
			return result{Err: "bad now: " + err.Error()}
		}
		now = &t
	}
	name := c.Name
	if name == "" {
		name = "template"
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcMap(now)).Delims(c.Left, c.Right).Parse(c.Template)
	if err != nil {
		return result{Err: err.Error()}
	}
	var data any
	if c.JSON != nil {
		if err := json.Unmarshal([]byte(*c.JSON), &data); err != nil {
			return result{Err: "bad json data: " + err.Error()}
		}
	} else {
		m := make(map[string]string, len(c.Data))
		for k, v := range c.Data {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return result{Err: "bad data encoding: " + err.Error()}
			}
			m[k] = string(b)
		}
		data = m
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return result{Err: err.Error()}
	}
	return result{OK: true, Out: base64.StdEncoding.EncodeToString(buf.Bytes())}
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "template-oracle: bad input:", err)
		os.Exit(2)
	}
	resp := response{Results: make([]result, len(req.Cases)), Checks: make([]any, len(req.Checks))}
	for i, c := range req.Cases {
		resp.Results[i] = render(c)
	}
	for i, raw := range req.Checks {
		resp.Checks[i] = runCheck(raw)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "template-oracle:", err)
		os.Exit(1)
	}
}
