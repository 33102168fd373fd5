package chart

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
)

// ValueError is one value the chart's values.schema.json refuses.
type ValueError struct {
	// Chart is the chart whose schema refused the value: the chart's name,
	// or parent.sub for a subchart's schema.
	Chart string
	// Path locates the value from the root of the values given to Render:
	// map keys, and list indices in decimal. A subchart's values start with
	// its name. For an unknown key the path ends with that key; for a
	// missing required key it is the object that lacks it.
	Path []string
	// Field is Path written as a spec author reads it:
	// workers.celery.replicas, extraContainers[0].name, data["a.b"].
	Field string
	// Message says what is wrong, in the schema validator's words.
	Message string
}

func (e ValueError) String() string {
	if e.Field == "" {
		return "values: " + e.Message
	}
	return e.Field + ": " + e.Message
}

// ValuesError lists every value a chart's schemas refuse. Render returns it
// (as *ValuesError) before it renders anything.
type ValuesError struct {
	Chart  string // "chart airflow 1.19.0"
	Errors []ValueError
}

func (e *ValuesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the values do not meet the chart's values.schema.json:", e.Chart)
	for _, v := range e.Errors {
		b.WriteString("\n  ")
		if v.Chart != "" && strings.Contains(v.Chart, ".") {
			fmt.Fprintf(&b, "(subchart %s) ", v.Chart)
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// validateValues checks coalesced values against the chart's schema and,
// as Helm does, each enabled subchart's schema against that subchart's
// part of the values. Errors come from the validator's structured output
// (instance locations and error kinds), not from its text.
func validateValues(hc *helmchart.Chart, values map[string]any) ([]ValueError, error) {
	var out []ValueError
	if err := validateChart(hc, values, nil, hc.Name(), &out); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b ValueError) int {
		return cmp.Or(slices.Compare(a.Path, b.Path), strings.Compare(a.Message, b.Message))
	})
	out = slices.CompactFunc(out, func(a, b ValueError) bool {
		return slices.Equal(a.Path, b.Path) && a.Message == b.Message
	})
	return out, nil
}

func validateChart(hc *helmchart.Chart, values map[string]any, prefix []string, name string, out *[]ValueError) error {
	if len(hc.Schema) > 0 {
		if err := validateOne(hc.Schema, values, prefix, name, out); err != nil {
			return fmt.Errorf("values.schema.json of %s: %w", name, err)
		}
	}
	for _, sub := range hc.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subPath := append(slices.Clone(prefix), sub.Name())
		subValues, ok := raw.(map[string]any)
		if !ok {
			*out = append(*out, ValueError{
				Chart: name + "." + sub.Name(), Path: subPath,
				Message: fmt.Sprintf("the values of subchart %s must be an object, not %s", sub.Name(), jsonKind(raw)),
			})
			continue
		}
		if err := validateChart(sub, subValues, subPath, name+"."+sub.Name(), out); err != nil {
			return err
		}
	}
	return nil
}

// refusingLoader stands in for every URL scheme: a render reads nothing from
// the network or the disk, so a schema that refers to another document
// cannot be checked here, and says so.
type refusingLoader struct{}

func (refusingLoader) Load(url string) (any, error) {
	if strings.HasPrefix(url, "urn:") {
		// Helm treats an unresolved urn: reference as the schema "true".
		return true, nil
	}
	return nil, fmt.Errorf("the schema refers to %s, which ydpgen does not fetch while rendering", url)
}

const schemaURL = "file:///values.schema.json"

func validateOne(schemaJSON []byte, values map[string]any, prefix []string, chartName string, out *[]ValueError) (reterr error) {
	// The validator panics on some malformed schemas; Helm recovers too.
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("cannot validate: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(refusingLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return err
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return err
	}
	err = sch.Validate(values)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	p := message.NewPrinter(language.English)
	collect(ve, p, func(loc []string, msg string) {
		path := append(slices.Clone(prefix), loc...)
		*out = append(*out, ValueError{
			Chart:   chartName,
			Path:    path,
			Field:   fieldOf(values, prefix, loc),
			Message: msg,
		})
	})
	return nil
}

// collect walks a validation error tree to the errors a user can act on.
// Group and reference nodes only carry causes. The alternatives of anyOf and
// oneOf are one error at the value they apply to, since listing each
// alternative's complaint separately reads as several problems. An unknown
// key is reported at the key itself, so the caller can point at its line.
func collect(e *jsonschema.ValidationError, p *message.Printer, emit func(loc []string, msg string)) {
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		for _, c := range e.Causes {
			collect(c, p, emit)
		}
		return
	case *kind.AnyOf, *kind.OneOf:
		var alts []string
		for _, c := range e.Causes {
			collect(c, p, func(loc []string, msg string) {
				if rel := loc[min(len(e.InstanceLocation), len(loc)):]; len(rel) > 0 {
					msg = strings.Join(rel, ".") + ": " + msg
				}
				alts = append(alts, msg)
			})
		}
		msg := k.LocalizedString(p)
		if len(alts) > 0 {
			slices.Sort(alts)
			msg += " (" + strings.Join(slices.Compact(alts), "; or ") + ")"
		}
		emit(e.InstanceLocation, msg)
		return
	case *kind.AdditionalProperties:
		for _, prop := range k.Properties {
			emit(append(slices.Clone(e.InstanceLocation), prop), "unknown key "+strconv.Quote(prop)+": the schema does not allow it here")
		}
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, p, emit)
		}
		return
	}
	emit(e.InstanceLocation, e.ErrorKind.LocalizedString(p))
}

// fieldOf writes a location within values as a dotted path, using the
// values to tell list indices from map keys that look like numbers.
func fieldOf(values map[string]any, prefix, loc []string) string {
	var b strings.Builder
	writeKey := func(k string) {
		if k != "" && !strings.ContainsAny(k, ".[]\"") {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
			return
		}
		b.WriteString("[" + strconv.Quote(k) + "]")
	}
	for _, k := range prefix {
		writeKey(k)
	}
	var cur any = values
	for _, k := range loc {
		switch t := cur.(type) {
		case []any:
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < len(t) {
				b.WriteString("[" + k + "]")
				cur = t[i]
				continue
			}
			writeKey(k)
			cur = nil
		case map[string]any:
			writeKey(k)
			cur = t[k]
		default:
			writeKey(k)
			cur = nil
		}
	}
	return b.String()
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, int64:
		return "a number"
	default:
		return fmt.Sprintf("%T", v)
	}
}
