package schema

import (
	"bytes"
	"encoding/json"
	"fmt"

	"cuelang.org/go/encoding/jsonschema"
)

// JSONSchema returns a JSON Schema (draft 2020-12) of the spec, generated
// from #Platform, for editors. Profile defaults are not in it: they depend on
// the environment.
func (s *Schema) JSONSchema() ([]byte, error) {
	expr, err := jsonschema.Generate(s.platform, &jsonschema.GenerateConfig{Version: jsonschema.VersionDraft2020_12})
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	v := s.ctx.BuildExpr(expr)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	raw, err := v.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
