package review

import (
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ydpgen/ydpgen/objset"
)

// Flag marks a change that a sync will reject, or that loses data or
// disrupts what runs. ID is stable; Why is one line; Detail says what
// exactly triggered it.
type Flag struct {
	ID     string `json:"id"`
	Why    string `json:"why"`
	Detail string `json:"detail,omitempty"`
}

// Risk flag IDs. They are part of ydpgen's interface: docs/review.md
// explains each, and CI jobs may match on them.
const (
	JobImmutable          = "job-immutable"
	PVCImmutable          = "pvc-immutable"
	StatefulSetImmutable  = "statefulset-immutable"
	SelectorImmutable     = "selector-immutable"
	ServiceTypeChange     = "service-type-change"
	ServiceClusterIP      = "service-clusterip-change"
	PVCDeleted            = "pvc-deleted"
	PVCOrphaned           = "pvc-orphaned"
	StatefulSetWithClaims = "statefulset-deleted-with-claims"
	NamespaceMove         = "namespace-move"
	NamespaceRenamed      = "namespace-renamed"
	NamespaceDeleted      = "namespace-deleted"
	ChartMajor            = "chart-major-version"
	AirflowDowngrade      = "airflow-downgrade"
	CredentialNew         = "credential-new"
	PVCResize             = "pvc-resize"
)

// Rule is a risk flag as documented.
type Rule struct {
	ID  string
	Why string
}

// Rules lists every risk flag in the order the docs explain them.
func Rules() []Rule {
	return []Rule{
		{JobImmutable, "a Job's pod template and selector cannot change: the sync fails until the old Job is deleted"},
		{PVCImmutable, "a PersistentVolumeClaim's spec cannot change except to grow its storage request: the sync fails"},
		{StatefulSetImmutable, "a StatefulSet's selector, serviceName, volumeClaimTemplates and podManagementPolicy cannot change: the sync fails until it is deleted and re-created"},
		{SelectorImmutable, "a Deployment's, DaemonSet's or ReplicaSet's selector cannot change: the sync fails until it is deleted and re-created"},
		{ServiceTypeChange, "a new Service type allocates or releases node ports and load balancers: clients of the old address lose it"},
		{ServiceClusterIP, "a Service's cluster IP cannot change: the sync fails until the Service is re-created with a new address"},
		{PVCDeleted, "deleting a PersistentVolumeClaim deletes the data on its volume unless the volume's reclaim policy is Retain"},
		{PVCOrphaned, "a claim protected from pruning stays in the cluster with its data when the tree drops it, managed by nothing: a workload that used it gets a new, empty claim; move the data, then delete the old claim by hand"},
		{StatefulSetWithClaims, "a deleted StatefulSet leaves its claims behind or deletes them with their data, as its retention policy says"},
		{NamespaceMove, "an object that changes namespace is deleted and created anew: its data and addresses do not move with it"},
		{NamespaceRenamed, "renaming a Namespace deletes the old one and everything in it, claims and their data included"},
		{NamespaceDeleted, "deleting a Namespace deletes everything in it, claims and their data included"},
		{ChartMajor, "a new major version of a chart may rename or remove values and need migration steps: read its upgrade notes"},
		{AirflowDowngrade, "Airflow does not run on a metadata database that a newer version migrated: downgrade the database first"},
		{CredentialNew, "a credential the environment did not read before (new, renamed or in a new namespace) must exist before the sync, or the pods that read it do not start"},
		{PVCResize, "a claim grows only when its storage class allows volume expansion, and a StatefulSet's claim templates not at all: check the class before merging"},
	}
}

func flag(id, detail string) Flag {
	for _, r := range Rules() {
		if r.ID == id {
			return Flag{ID: id, Why: r.Why, Detail: detail}
		}
	}
	return Flag{ID: id, Detail: detail}
}

// get walks a generic tree by keys.
func get(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// differs reports whether the subtree at keys is not the same on both sides.
func differs(o, n object, keys ...string) bool {
	a, _ := get(o.content, keys...)
	b, _ := get(n.content, keys...)
	return !reflect.DeepEqual(a, b)
}

// changeFlags are the flags of an object that keeps its identity.
func changeFlags(o, n object, fields []FieldChange) []Flag {
	var flags []Flag
	kind := n.gvk.GroupKind().String() // "Kind.group", or "Kind" in the core group
	switch kind {
	case "Job.batch":
		for _, f := range []string{"template", "selector"} {
			if differs(o, n, "spec", f) {
				flags = append(flags, flag(JobImmutable, "spec."+f+" changed"))
			}
		}
	case "PersistentVolumeClaim":
		flags = append(flags, pvcFlags(o, n)...)
	case "StatefulSet.apps":
		for _, f := range []string{"selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"} {
			if differs(o, n, "spec", f) {
				flags = append(flags, flag(StatefulSetImmutable, "spec."+f+" changed"))
			}
		}
	case "Deployment.apps", "DaemonSet.apps", "ReplicaSet.apps":
		if differs(o, n, "spec", "selector") {
			flags = append(flags, flag(SelectorImmutable, "spec.selector changed"))
		}
	case "Service":
		a, _ := get(o.content, "spec", "type")
		b, _ := get(n.content, "spec", "type")
		if serviceType(a) != serviceType(b) {
			flags = append(flags, flag(ServiceTypeChange, serviceType(a)+" -> "+serviceType(b)))
		}
		if differs(o, n, "spec", "clusterIP") || differs(o, n, "spec", "clusterIPs") {
			flags = append(flags, flag(ServiceClusterIP, "spec.clusterIP changed"))
		}
	}
	flags = append(flags, chartFlags(charts(o), charts(n))...)
	flags = append(flags, fieldFlags(fields)...)
	return flags
}

func serviceType(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return "ClusterIP" // the API server's default
}

// pvcFlags: only a larger storage request may change in a claim's spec.
func pvcFlags(o, n object) []Flag {
	var flags []Flag
	strip := func(x object) any {
		spec, _ := get(x.content, "spec")
		c, _ := objset.Canonical(spec)
		if req, ok := get(c, "resources", "requests"); ok {
			delete(req.(map[string]any), "storage")
		}
		return c
	}
	if !reflect.DeepEqual(strip(o), strip(n)) {
		flags = append(flags, flag(PVCImmutable, "spec changed beyond resources.requests.storage"))
	}
	a, _ := get(o.content, "spec", "resources", "requests", "storage")
	b, _ := get(n.content, "spec", "resources", "requests", "storage")
	if !reflect.DeepEqual(a, b) {
		qa, erra := quantity(a)
		qb, errb := quantity(b)
		switch {
		case erra != nil || errb != nil || qb.Cmp(qa) < 0:
			flags = append(flags, flag(PVCImmutable, "storage request "+short(a, false)+" -> "+short(b, false)+": a claim can only grow"))
		case qb.Cmp(qa) > 0:
			class, _ := get(n.content, "spec", "storageClassName")
			flags = append(flags, flag(PVCResize, "storage request "+short(a, false)+" -> "+short(b, false)+" in storage class "+short(class, false)))
		}
	}
	return flags
}

func quantity(v any) (resource.Quantity, error) {
	s := short(v, false)
	if str, ok := v.(string); ok {
		s = str
	}
	return resource.ParseQuantity(s)
}

// removalFlags are the flags of an object that is deleted (or re-created
// under another name or namespace, which deletes the old one).
func removalFlags(o object) []Flag {
	switch o.gvk.GroupKind().String() {
	case "PersistentVolumeClaim":
		if why := keptBy(o.content); why != "" {
			return []Flag{flag(PVCOrphaned, "claim "+ref(o.namespace, o.name)+" is left behind ("+why+")")}
		}
		return []Flag{flag(PVCDeleted, "claim "+ref(o.namespace, o.name)+" is deleted")}
	case "StatefulSet.apps":
		if t, _ := get(o.content, "spec", "volumeClaimTemplates"); t != nil {
			if l, ok := t.([]any); ok && len(l) > 0 {
				return []Flag{flag(StatefulSetWithClaims, strconv.Itoa(len(l))+" claim templates")}
			}
		}
	case "Namespace":
		return []Flag{flag(NamespaceDeleted, "namespace "+o.name+" is deleted")}
	}
	return nil
}

// charts finds the Helm charts an object deploys, chart name to version:
// Argo CD Applications and ApplicationSets, Flux HelmReleases and
// HelmCharts.
func charts(o object) map[string]string {
	out := map[string]string{}
	fromSource := func(src any) {
		chart, _ := get(src, "chart")
		rev, _ := get(src, "targetRevision")
		c, _ := chart.(string)
		r, _ := rev.(string)
		if c != "" && r != "" {
			out[c] = r
		}
	}
	fromSpec := func(spec any) {
		if s, ok := get(spec, "source"); ok {
			fromSource(s)
		}
		if l, ok := get(spec, "sources"); ok {
			if srcs, ok := l.([]any); ok {
				for _, s := range srcs {
					fromSource(s)
				}
			}
		}
	}
	switch o.gvk.GroupKind().String() {
	case "Application.argoproj.io":
		spec, _ := get(o.content, "spec")
		fromSpec(spec)
	case "ApplicationSet.argoproj.io":
		spec, _ := get(o.content, "spec", "template", "spec")
		fromSpec(spec)
	case "HelmRelease.helm.toolkit.fluxcd.io":
		chart, _ := get(o.content, "spec", "chart", "spec", "chart")
		ver, _ := get(o.content, "spec", "chart", "spec", "version")
		if c, ok := chart.(string); ok {
			v, _ := ver.(string)
			out[c] = v
		}
	case "HelmChart.source.toolkit.fluxcd.io":
		chart, _ := get(o.content, "spec", "chart")
		ver, _ := get(o.content, "spec", "version")
		if c, ok := chart.(string); ok {
			v, _ := ver.(string)
			out[c] = v
		}
	}
	return out
}

// chartFlags compares the major versions of the charts both sides deploy.
func chartFlags(old, new map[string]string) []Flag {
	var flags []Flag
	for _, c := range sortedKeys(new) {
		ov, ok := old[c]
		if !ok {
			continue
		}
		a, oka := major(ov)
		b, okb := major(new[c])
		if oka && okb && a != b {
			flags = append(flags, flag(ChartMajor, "chart "+c+" "+ov+" -> "+new[c]))
		}
	}
	return flags
}

// major reads the major version of a version or a version range such as
// "1.19.0", "v2", "^1.19", ">=1.19.0 <2.0.0" (its lower bound), "1.x".
func major(v string) (int, bool) {
	v = strings.TrimLeft(strings.TrimSpace(v), "v^~>=< ")
	v = strings.TrimPrefix(v, "v")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(v[:end])
	return n, err == nil
}

// fieldFlags looks at changed fields wherever they are: an airflowVersion
// in Helm values, in an Application's inline values or a HelmRelease.
func fieldFlags(fields []FieldChange) []Flag {
	var flags []Flag
	for _, f := range fields {
		if f.last() != "airflowVersion" || f.Op != Changed || f.Masked {
			continue
		}
		if versionLess(f.New, f.Old) {
			flags = append(flags, flag(AirflowDowngrade, "airflowVersion "+f.Old+" -> "+f.New))
		}
	}
	return flags
}

// versionLess compares dotted numeric versions ("3.1.7" < "3.2.0"); text
// after the numbers (a release candidate suffix) is ignored.
func versionLess(a, b string) bool {
	pa, oka := versionParts(a)
	pb, okb := versionParts(b)
	if !oka || !okb {
		return false
	}
	for i := range max(len(pa), len(pb)) {
		x, y := 0, 0
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func versionParts(v string) ([]int, bool) {
	v = strings.TrimPrefix(strings.Trim(v, `"`), "v")
	var parts []int
	for _, p := range strings.Split(v, ".") {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, _ := strconv.Atoi(p[:end])
		parts = append(parts, n)
		if end < len(p) {
			break
		}
	}
	return parts, len(parts) > 0
}

// valuesChart reads the chart a values file is for from the header ydpgen
// writes: "# Helm values for chart airflow 1.19.0 from ...".
func valuesChart(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			if strings.TrimSpace(line) != "" {
				break // past the header
			}
			continue
		}
		rest, ok := strings.CutPrefix(line, "# Helm values for chart ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 2 {
			out[f[0]] = strings.TrimSuffix(f[1], ",")
		}
	}
	return out
}

// keptBy says which annotation of an object keeps it in the cluster when
// it leaves the tree: Argo CD's Prune=false, Flux's prune: disabled, Helm's
// resource policy keep; "" when none does.
func keptBy(content map[string]any) string {
	ann, _ := get(content, "metadata", "annotations")
	return keepAnnotation(ann)
}

func keepAnnotation(ann any) string {
	a, _ := ann.(map[string]any)
	if v, _ := a["argocd.argoproj.io/sync-options"].(string); v != "" {
		for _, opt := range strings.Split(v, ",") {
			if strings.TrimSpace(opt) == "Prune=false" {
				return "argocd.argoproj.io/sync-options: " + v
			}
		}
	}
	if v, _ := a["kustomize.toolkit.fluxcd.io/prune"].(string); strings.EqualFold(v, "disabled") {
		return "kustomize.toolkit.fluxcd.io/prune: " + v
	}
	if v, _ := a["helm.sh/resource-policy"].(string); v == "keep" {
		return "helm.sh/resource-policy: keep"
	}
	return ""
}

// valuesClaimFlags are the flags of the chart's claims when Helm values
// change: a logs or DAG claim switched off is deleted by the next upgrade,
// or left behind when its annotations keep it.
func valuesClaimFlags(old, new any) []Flag {
	var flags []Flag
	for _, section := range []string{"logs", "dags"} {
		on := func(v any) bool { b, _ := get(v, section, "persistence", "enabled"); return b == true }
		if !on(old) || on(new) {
			continue
		}
		ann, _ := get(old, section, "persistence", "annotations")
		what := "the chart's " + section + " claim"
		if why := keepAnnotation(ann); why != "" {
			flags = append(flags, flag(PVCOrphaned, what+" is left behind ("+why+")"))
		} else {
			flags = append(flags, flag(PVCDeleted, what+" is deleted"))
		}
	}
	return flags
}

// valuesClaimChanges are the flags of the chart's claims whose size or
// class the Helm values change (logs, DAGs, and the StatefulSets' claim
// templates of workers, triggerer and Redis): a class cannot change, a
// size only grow, and only where the class allows expansion.
func valuesClaimChanges(fields []FieldChange) []Flag {
	var flags []Flag
	for _, f := range fields {
		if f.Masked {
			continue
		}
		switch {
		case strings.HasSuffix(f.Path, ".persistence.storageClassName") && f.Op == Changed:
			flags = append(flags, flag(PVCImmutable, f.Path+" "+f.Old+" -> "+f.New+": a claim cannot change its storage class"))
		case strings.HasSuffix(f.Path, ".persistence.size") && f.Op == Changed:
			qa, erra := resource.ParseQuantity(strings.Trim(f.Old, `"`))
			qb, errb := resource.ParseQuantity(strings.Trim(f.New, `"`))
			if erra != nil || errb != nil || qb.Cmp(qa) < 0 {
				flags = append(flags, flag(PVCImmutable, f.Path+" "+f.Old+" -> "+f.New+": a claim can only grow"))
			} else {
				flags = append(flags, flag(PVCResize, f.Path+" "+f.Old+" -> "+f.New))
			}
		}
	}
	return flags
}

// foldNamespaceMoves counts a namespace move once: the flag of a renamed
// Namespace says how many objects move with it and the objects carry no
// flag of their own; a move without a renamed Namespace is flagged on its
// first object with the count. Other flags of a moved object (a claim left
// behind) stay, each is a risk of its own.
func foldNamespaceMoves(cs []ObjectChange) {
	moves := map[string]int{}
	renamed := map[string]bool{}
	for _, c := range cs {
		for _, f := range c.Flags {
			switch f.ID {
			case NamespaceMove:
				moves[f.Detail]++
			case NamespaceRenamed:
				renamed[f.Detail] = true
			}
		}
	}
	kept := map[string]bool{}
	for i := range cs {
		var flags []Flag
		for _, f := range cs[i].Flags {
			d := f.Detail
			switch {
			case f.ID == NamespaceRenamed && moves[d] > 0:
				f.Detail = d + ": " + plural(moves[d], "object") + " move with it"
			case f.ID == NamespaceMove && (renamed[d] || kept[d]):
				continue
			case f.ID == NamespaceMove:
				kept[d] = true
				if moves[d] > 1 {
					f.Detail = d + ": " + plural(moves[d], "object") + " move"
				}
			}
			flags = append(flags, f)
		}
		cs[i].Flags = flags
	}
}
