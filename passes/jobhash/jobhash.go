package jobhash

import (
	"cmp"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/objset"
)

// HashLen is the length of the suffix: 8 characters of base 32 carry 40
// bits, plenty for the few runs of one Job.
const HashLen = 8

// maxName is the longest name a Job may have: the Job controller copies it
// into a label of its pods, and label values stop at 63 characters.
const maxName = 63

// encoding writes hashes in lowercase letters and digits, as names need.

func encoding() *base32.Encoding {
	return base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)
}

// Rename is a Job's name before and after the pass.
type Rename struct {
	Namespace string
	From      string
	To        string
}

// jobNameLabels are the labels by which the Job controller marks a Job's
// pods; selectors on them name the Job.
func jobNameLabels() []string { return []string{"job-name", "batch.kubernetes.io/job-name"} }

// Apply renames every Job of entries (in place) to <name>-<hash>, rewrites
// the selectors that name a renamed Job, and returns the renames sorted by
// namespace and old name.
func Apply(entries []objset.Entry) ([]Rename, error) {
	configMaps := map[string]map[string]any{}
	for _, e := range entries {
		if e.GVK.Group == "" && e.GVK.Kind == "ConfigMap" {
			configMaps[e.Namespace+"/"+e.Name] = e.Content
		}
	}
	var renames []Rename
	for i := range entries {
		e := &entries[i]
		if e.GVK.Group != "batch" || e.GVK.Kind != "Job" {
			continue
		}
		h, err := Hash(e.Content, func(name string) map[string]any { return configMaps[e.Namespace+"/"+name] })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.ID(), err)
		}
		to := Name(e.Name, h)
		md, ok := e.Content["metadata"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s has no metadata", e.ID())
		}
		md["name"] = to
		renames = append(renames, Rename{Namespace: e.Namespace, From: e.Name, To: to})
		e.Name = to
	}
	slices.SortFunc(renames, func(a, b Rename) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.From, b.From))
	})
	for i := range entries {
		for _, r := range renames {
			if entries[i].Namespace == r.Namespace {
				rewriteSelectors(entries[i].Content, r)
			}
		}
	}
	return renames, nil
}

// Name is a Job's name with its hash, the base shortened when the whole
// would be longer than a Job name may be.
func Name(base, hash string) string {
	if n := maxName - len(hash) - 1; len(base) > n {
		base = strings.TrimRight(base[:n], "-")
	}
	return base + "-" + hash
}

// Hash is the hash of what a Job runs: its spec and the data of the
// ConfigMaps its pods read (a changed bootstrap script is a new run even
// though the Job's spec did not change). configMap returns the content of a
// ConfigMap of the Job's namespace by name, or nil when it is not rendered.
func Hash(job map[string]any, configMap func(name string) map[string]any) (string, error) {
	spec, ok := job["spec"]
	if !ok {
		return "", fmt.Errorf("the Job has no spec")
	}
	type read struct {
		Name       string `json:"name"`
		Data       any    `json:"data,omitempty"`
		BinaryData any    `json:"binaryData,omitempty"`
	}
	var reads []read
	for _, name := range configMapRefs(spec) {
		if cm := configMap(name); cm != nil {
			reads = append(reads, read{Name: name, Data: cm["data"], BinaryData: cm["binaryData"]})
		}
	}
	// encoding/json writes map keys sorted: the same content always gives
	// the same bytes.
	b, err := json.Marshal(struct {
		Spec       any    `json:"spec"`
		ConfigMaps []read `json:"configMaps,omitempty"`
	}{spec, reads})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return encoding().EncodeToString(sum[:5]), nil
}

// configMapRefs returns the names of the ConfigMaps a pod spec reads
// (volumes, projected volumes, envFrom and env), sorted and unique.
func configMapRefs(v any) []string {
	var out []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch t := v.(type) {
		case map[string]any:
			if key == "configMap" || key == "configMapRef" || key == "configMapKeyRef" {
				if n, ok := t["name"].(string); ok && n != "" {
					out = append(out, n)
				}
			}
			for k, x := range t {
				walk(x, k)
			}
		case []any:
			for _, x := range t {
				walk(x, key)
			}
		}
	}
	walk(v, "")
	slices.Sort(out)
	return slices.Compact(out)
}

// rewriteSelectors replaces r.From by r.To wherever a job-name label holds
// it: selectors of NetworkPolicies, Services or PodDisruptionBudgets that
// pick the Job's pods.
func rewriteSelectors(v any, r Rename) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && s == r.From && slices.Contains(jobNameLabels(), k) {
				t[k] = r.To
				continue
			}
			rewriteSelectors(x, r)
		}
	case []any:
		for _, x := range t {
			rewriteSelectors(x, r)
		}
	}
}

// RewriteText replaces, in a generated document, the references to renamed
// Jobs that kubectl understands: job/<name>, jobs/<name> and
// job.batch/<name>.
func RewriteText(b []byte, renames []Rename) []byte {
	for _, r := range renames {
		re := regexp.MustCompile(`\b(jobs?|job\.batch)/` + regexp.QuoteMeta(r.From) + `([^a-z0-9.-]|$)`)
		b = re.ReplaceAll(b, []byte("${1}/"+r.To+"${2}"))
	}
	return b
}
