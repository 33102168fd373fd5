package chart

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// normalizeValues turns the caller's values into the form Helm gives values
// it reads from a values file: plain maps and slices, strings, bools, nil and
// float64 numbers. Going through JSON does exactly that (Helm's YAML reader
// goes through JSON too), so a value set built in Go renders the same as the
// same values written to a file and passed to `helm template -f`. It also
// returns the canonical JSON, which is what the render cache hashes: Go's
// encoder sorts map keys, so equal values give equal bytes.
func normalizeValues(values map[string]any) (map[string]any, []byte, error) {
	if values == nil {
		values = map[string]any{}
	}
	canon, err := json.Marshal(values)
	if err != nil {
		return nil, nil, fmt.Errorf("values cannot be encoded as JSON: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(canon, &out); err != nil {
		return nil, nil, fmt.Errorf("values cannot be decoded from JSON: %w", err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, canon, nil
}

// deepCopy copies a normalized value tree. Templates may change .Values in
// place (sprig's set and unset), so every render gets its own copy.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}

func deepCopyMap(m map[string]any) map[string]any {
	return deepCopy(m).(map[string]any)
}

// sha256Hex is the lower-case hex sha256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonicalJSON encodes v with sorted map keys and no HTML escaping, for
// hashing and for the render cache's files.
func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
