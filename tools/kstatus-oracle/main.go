// Test-only oracle: computes the kstatus result (the rules behind Flux's
// `wait: true` and health checks) of Kubernetes objects with the library Flux
// itself links, so Hush's status conditions can be checked against it.
//
// stdin:  a JSON array of objects
// stdout: a JSON array of {"status", "message"} (or {"error"}) in the same order
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var objs []json.RawMessage
	if err := json.Unmarshal(in, &objs); err != nil {
		fail(fmt.Errorf("stdin is not a JSON array: %w", err))
	}
	out := make([]result, 0, len(objs))
	for _, raw := range objs {
		// Unstructured's own decoder, as a client reading the API server would:
		// it keeps integers int64, which kstatus's accessors insist on.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			out = append(out, result{Error: err.Error()})
			continue
		}
		res, err := status.Compute(u)
		if err != nil {
			out = append(out, result{Error: err.Error()})
			continue
		}
		out = append(out, result{Status: res.Status.String(), Message: res.Message})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus-oracle:", err)
	os.Exit(1)
}
