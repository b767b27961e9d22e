// Test-only oracle: the hashes External Secrets Operator writes, produced by
// the same Go calls on the same Go types ESO uses, so that hash.ts is checked
// against Go's fmt (map key order, []byte rendering, struct rendering) and not
// against itself.
//
// Why not import ESO: its hashing lives in the runtime/esutils module, which
// the module proxy does not serve, and the root module's tagged versions
// resolve their own sub-modules through replace directives that do not apply
// to a dependent. So this program repeats the calls (facts, checked against
// ESO's source: runtime/esutils.ObjectHash, pkg/controllers/util.HashMeta,
// the owner label and fqdnFor in pkg/controllers/externalsecret):
//   - ObjectHash(v) is hex(SHA3-224(fmt.Sprintf("%+v", v)));
//   - the data hash is ObjectHash of the Secret's map[string][]byte;
//   - the meta hash is ObjectHash of an unexported struct with the fields
//     annotations then labels, both map[string]string;
//   - the created-by label is ObjectHash of the string "<namespace>/<name>";
//   - the field owner is "externalsecrets.external-secrets.io/<name>", or,
//     when that whole string is longer than 63 bytes,
//     "externalsecrets.external-secrets.io/sha3/" + hex(SHA3-224(name)).
//
// stdin: {"cases": [...]}, each case one of
//
//	{"kind": "data", "data": {"k": "<base64>" | null} | null}
//	{"kind": "meta", "generation": 3, "labels": {...} | null, "annotations": {...} | null}
//	{"kind": "createdBy", "namespace": "ns", "name": "es"}
//	{"kind": "fieldOwner", "name": "es"}
//
// stdout: {"results": [{"hash", "text", "resourceVersion", "fieldOwner"}]}
package main

import (
	"crypto/sha3"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type input struct {
	Cases []struct {
		Kind        string             `json:"kind"`
		Data        map[string]*string `json:"data"`
		Generation  int64              `json:"generation"`
		Labels      map[string]string  `json:"labels"`
		Annotations map[string]string  `json:"annotations"`
		Namespace   string             `json:"namespace"`
		Name        string             `json:"name"`
	} `json:"cases"`
}

type output struct {
	Hash            string `json:"hash,omitempty"`
	Text            string `json:"text,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	FieldOwner      string `json:"fieldOwner,omitempty"`
	Error           string `json:"error,omitempty"`
}

// esoMeta has ESO's field names and order: %+v prints them, so both matter.
type esoMeta struct {
	annotations map[string]string
	labels      map[string]string
}

func render(v any) (text, hash string) {
	text = fmt.Sprintf("%+v", v)
	return text, fmt.Sprintf("%x", sha3.Sum224([]byte(text)))
}

// decodeData keeps a JSON null map a nil map and a null value a nil slice, as
// in a Secret the API server returned without data.
func decodeData(in map[string]*string) (map[string][]byte, error) {
	if in == nil {
		return nil, nil
	}
	data := make(map[string][]byte, len(in))
	for k, v := range in {
		if v == nil {
			data[k] = nil
			continue
		}
		b, err := base64.StdEncoding.DecodeString(*v)
		if err != nil {
			return nil, fmt.Errorf("data[%q]: %w", k, err)
		}
		data[k] = b
	}
	return data, nil
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail(err)
	}
	results := make([]output, 0, len(in.Cases))
	for _, c := range in.Cases {
		var o output
		switch c.Kind {
		case "data":
			data, err := decodeData(c.Data)
			if err != nil {
				o.Error = err.Error()
				break
			}
			o.Text, o.Hash = render(data)
		case "meta":
			o.Text, o.Hash = render(esoMeta{annotations: c.Annotations, labels: c.Labels})
			o.ResourceVersion = fmt.Sprintf("%d-%s", c.Generation, o.Hash)
		case "createdBy":
			o.Text, o.Hash = render(fmt.Sprintf("%v/%v", c.Namespace, c.Name))
		case "fieldOwner":
			owner := fmt.Sprintf("externalsecrets.external-secrets.io/%v", c.Name)
			if len(owner) > 63 {
				owner = fmt.Sprintf("externalsecrets.external-secrets.io/sha3/%x", sha3.Sum224([]byte(c.Name)))
			}
			o.FieldOwner = owner
		default:
			o.Error = "unknown kind " + c.Kind
		}
		results = append(results, o)
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"results": results}); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "eso-hash-oracle:", err)
	os.Exit(1)
}
