package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"cuelang.org/go/cue"
	"go.yaml.in/yaml/v3"

	"github.com/ydpgen/ydpgen/model"
)

// ValueOrigin is where one value of an effective environment came from.
type ValueOrigin struct {
	// Path is the value's path in the resolved environment
	// (airflow.executor, environment.cluster.nodes).
	Path string `json:"path"`
	// Origin is file:line:col where the spec wrote it, or "profile <name>
	// default" when the spec left it to the profile.
	Origin string `json:"origin"`
}

// Effective is one environment as ydpgen uses it, after the profile's
// defaults, the platform's sections and the environment's overrides: a
// mapping with keys in order, every scalar with its origin. file turns a
// spec file name into the one to show (relative to the working directory,
// say).
func Effective(env *model.Environment, file func(string) string) (data any, origins []ValueOrigin, err error) {
	if err := json.Unmarshal(env.Effective, &data); err != nil {
		return nil, nil, fmt.Errorf("environment %s: reading its effective spec: %w", env.Name, err)
	}
	var walk func(v any, sels []cue.Selector)
	walk = func(v any, sels []cue.Selector) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(x[k], append(slices.Clone(sels), cue.Str(k)))
			}
		case []any:
			for i, e := range x {
				walk(e, append(slices.Clone(sels), cue.Index(i)))
			}
		default:
			p := cue.MakePath(sels...).String()
			origins = append(origins, ValueOrigin{Path: p, Origin: originText(env, p, file)})
		}
	}
	walk(data, nil)
	return data, origins, nil
}

func originText(env *model.Environment, path string, file func(string) string) string {
	if o, ok := env.Origins[path]; ok && o.File != "" {
		o.File = file(o.File)
		return o.String()
	}
	return "profile " + env.Profile + " default"
}

// EffectiveYAML is the effective environment as a YAML document; with
// origins, each scalar carries its origin as a line comment.
func EffectiveYAML(env *model.Environment, withOrigins bool, file func(string) string) ([]byte, error) {
	data, origins, err := Effective(env, file)
	if err != nil {
		return nil, err
	}
	byPath := map[string]string{}
	for _, o := range origins {
		byPath[o.Path] = o.Origin
	}
	var build func(v any, sels []cue.Selector) (*yaml.Node, error)
	build = func(v any, sels []cue.Selector) (*yaml.Node, error) {
		switch x := v.(type) {
		case map[string]any:
			n := &yaml.Node{Kind: yaml.MappingNode}
			for _, k := range sortedKeys(x) {
				c, err := build(x[k], append(slices.Clone(sels), cue.Str(k)))
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, c)
			}
			return n, nil
		case []any:
			n := &yaml.Node{Kind: yaml.SequenceNode}
			for i, e := range x {
				c, err := build(e, append(slices.Clone(sels), cue.Index(i)))
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, c)
			}
			return n, nil
		}
		n := &yaml.Node{}
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f) // JSON numbers: whole ones print as integers
		}
		if err := n.Encode(v); err != nil {
			return nil, err
		}
		if withOrigins {
			n.LineComment = byPath[cue.MakePath(sels...).String()]
		}
		return n, nil
	}
	root, err := build(data, nil)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
