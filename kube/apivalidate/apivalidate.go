package apivalidate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ydpgen/ydpgen/objset"
)

// Problem is one thing the API server would refuse: Value is the offending
// name, key or label value, Message says what is wrong with it.
type Problem struct{ Value, Message string }

// Metadata checks an object's name, labels and annotation keys with
// the validation the API server applies, so that a spec whose values are
// each valid cannot combine into an object the server refuses.
func Metadata(e objset.Entry) []Problem {
	var out []Problem
	name := e.Name
	switch e.GVK.Kind {
	case "ConfigMap", "Secret":
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			out = append(out, Problem{name, "name: " + strings.Join(errs, "; ")})
		}
	case "CronJob":
		// The controller appends an 11-character suffix to name its Jobs.
		if len(name) > 52 {
			out = append(out, Problem{name, fmt.Sprintf("name is %d characters long; a CronJob's may have 52", len(name))})
		}
	case "Namespace", "Service", "StatefulSet", "Job":
		// Their names become host names or label values.
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			out = append(out, Problem{name, "name: " + strings.Join(errs, "; ")})
		}
	default:
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			out = append(out, Problem{name, "name: " + strings.Join(errs, "; ")})
		}
	}
	md, _ := e.Content["metadata"].(map[string]any)
	labels, _ := md["labels"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			out = append(out, Problem{k, fmt.Sprintf("label key %s: %s", k, strings.Join(errs, "; "))})
		}
		v, _ := labels[k].(string)
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			out = append(out, Problem{v, fmt.Sprintf("label %s=%s: %s", k, v, strings.Join(errs, "; "))})
		}
	}
	annotations, _ := md["annotations"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			out = append(out, Problem{k, fmt.Sprintf("annotation key %s: %s", k, strings.Join(errs, "; "))})
		}
	}
	return out
}
