package review

import (
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/objset"
)

// ObjectChange is an object that was added, removed or changed. When the
// object was renamed (a Job's hash suffix) or moved to another namespace,
// WasNamespace and WasName name it on the old side.
type ObjectChange struct {
	Op           Op            `json:"op"`
	Group        string        `json:"group,omitempty"`
	Kind         string        `json:"kind"`
	Namespace    string        `json:"namespace,omitempty"`
	Name         string        `json:"name"`
	WasNamespace string        `json:"wasNamespace,omitempty"`
	WasName      string        `json:"wasName,omitempty"`
	Fields       []FieldChange `json:"fields,omitempty"`
	Flags        []Flag        `json:"flags,omitempty"`
}

// Ref names the object as "namespace/name", or "name" when it is
// cluster-scoped.
func (c ObjectChange) Ref() string { return ref(c.Namespace, c.Name) }

// WasRef names the object on the old side when it was renamed or moved.
func (c ObjectChange) WasRef() string {
	if c.WasName == "" {
		return ""
	}
	return ref(c.WasNamespace, c.WasName)
}

func ref(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// object is a Kubernetes object as a generic tree.
type object struct {
	gvk       schema.GroupVersionKind
	namespace string
	name      string
	content   map[string]any
}

// newObject recognises a Kubernetes object: apiVersion, kind and a name.
func newObject(m map[string]any) (object, bool) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	md, _ := m["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		return object{}, false
	}
	ns, _ := md["namespace"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return object{}, false
	}
	return object{gvk: gv.WithKind(kind), namespace: ns, name: name, content: m}, true
}

// key identifies an object across the two sides; the version is left out
// so that a new apiVersion shows as a changed field.
func (o object) key() string {
	return o.gvk.Group + "/" + o.gvk.Kind + "/" + o.namespace + "/" + o.name
}

func (o object) groupKind() string { return o.gvk.Group + "/" + o.gvk.Kind }

// diffObjects matches the objects of two sides and describes every
// difference, risk flags included. Objects that are only on one side are
// paired where they are the same object under another name: a renamed
// Namespace, an object moved to another namespace, a Job whose hash suffix
// changed.
func diffObjects(old, new []object) []ObjectChange {
	oldBy := map[string]object{}
	for _, o := range old {
		oldBy[o.key()] = o
	}
	newBy := map[string]object{}
	for _, o := range new {
		newBy[o.key()] = o
	}
	var out []ObjectChange
	var removed, added []object
	newKeys := map[remoteKey]bool{} // remote keys flagged as new
	for _, o := range old {
		if _, ok := newBy[o.key()]; !ok {
			removed = append(removed, o)
		}
	}
	for _, n := range new {
		o, ok := oldBy[n.key()]
		if !ok {
			added = append(added, n)
			continue
		}
		if reflect.DeepEqual(o.content, n.content) {
			continue
		}
		c := change(Changed, o, n)
		c.Flags = append(changeFlags(o, n, c.Fields), remoteKeyFlags(old, n, newKeys)...)
		out = append(out, c)
	}

	pairs := pairUp(&removed, &added)
	for _, p := range pairs {
		c := change(Changed, p.old, p.new)
		c.WasNamespace, c.WasName = p.old.namespace, p.old.name
		c.Flags = append(p.flags, remoteKeyFlags(old, p.new, newKeys)...)
		out = append(out, c)
	}
	for _, o := range removed {
		c := change(Removed, o, object{})
		c.Flags = removalFlags(o)
		out = append(out, c)
	}
	for _, n := range added {
		c := change(Added, object{}, n)
		c.Flags = remoteKeyFlags(old, n, newKeys)
		out = append(out, c)
	}
	sortChanges(out)
	foldNamespaceMoves(out)
	return out
}

func change(op Op, o, n object) ObjectChange {
	side := n
	if op == Removed {
		side = o
	}
	c := ObjectChange{Op: op, Group: side.gvk.Group, Kind: side.gvk.Kind, Namespace: side.namespace, Name: side.name}
	if op == Changed {
		c.Fields = fieldDiff(o.content, n.content, isSecret(o) || isSecret(n))
	}
	return c
}

func isSecret(o object) bool { return o.gvk.Group == "" && o.gvk.Kind == "Secret" }

func sortChanges(cs []ObjectChange) {
	slices.SortStableFunc(cs, func(a, b ObjectChange) int {
		ea := objset.Entry{Namespace: a.Namespace, Name: a.Name}
		ea.GVK.Group, ea.GVK.Kind = a.Group, a.Kind
		eb := objset.Entry{Namespace: b.Namespace, Name: b.Name}
		eb.GVK.Group, eb.GVK.Kind = b.Group, b.Kind
		return objset.Compare(ea, eb)
	})
}

type pair struct {
	old, new object
	flags    []Flag
}

// pairUp takes out of removed and added the objects that are one object
// under another identity. A pairing is made only when it is unambiguous:
// exactly one candidate on each side.
func pairUp(removed, added *[]object) []pair {
	var pairs []pair
	take := func(match func(o, n object) (string, bool), flags func(o, n object) []Flag, accept ...func(o, n object) bool) {
		type group struct{ olds, news []int }
		groups := map[string]*group{}
		var order []string
		for i, o := range *removed {
			if k, ok := match(o, object{}); ok {
				if groups[k] == nil {
					groups[k] = &group{}
					order = append(order, k)
				}
				groups[k].olds = append(groups[k].olds, i)
			}
		}
		for j, n := range *added {
			if k, ok := match(object{}, n); ok && groups[k] != nil {
				groups[k].news = append(groups[k].news, j)
			}
		}
		usedOld, usedNew := map[int]bool{}, map[int]bool{}
		for _, k := range order {
			g := groups[k]
			if len(g.olds) != 1 || len(g.news) != 1 {
				continue
			}
			o, n := (*removed)[g.olds[0]], (*added)[g.news[0]]
			if len(accept) > 0 && !accept[0](o, n) {
				continue
			}
			pairs = append(pairs, pair{old: o, new: n, flags: flags(o, n)})
			usedOld[g.olds[0]], usedNew[g.news[0]] = true, true
		}
		*removed = dropIndexes(*removed, usedOld)
		*added = dropIndexes(*added, usedNew)
	}
	one := func(o, n object) object {
		if o.name != "" {
			return o
		}
		return n
	}
	// A renamed Namespace: one gone, one new.
	take(func(o, n object) (string, bool) {
		x := one(o, n)
		return "ns", x.gvk.Group == "" && x.gvk.Kind == "Namespace"
	}, func(o, n object) []Flag {
		return []Flag{flag(NamespaceRenamed, o.name+" -> "+n.name)}
	})
	// An object moved to another namespace under the same name.
	take(func(o, n object) (string, bool) {
		x := one(o, n)
		return x.groupKind() + "/" + x.name, x.namespace != ""
	}, func(o, n object) []Flag {
		return append([]Flag{flag(NamespaceMove, o.namespace+" -> "+n.namespace)}, removalFlags(o)...)
	})
	// A new hash suffix: the same object, re-created under a new name. A
	// suffix without a digit may read as a word (a hash can be all
	// letters): one gone and one new with the same stem pair up when at
	// least one of the two suffixes is plainly a hash.
	take(func(o, n object) (string, bool) {
		x := one(o, n)
		stem, ok := suffixStem(x.name)
		return x.groupKind() + "/" + x.namespace + "/" + stem, ok
	}, func(o, n object) []Flag { return removalFlags(o) }, func(o, n object) bool {
		_, oldHash := hashStem(o.name)
		_, newHash := hashStem(n.name)
		return oldHash || newHash
	})
	return pairs
}

func dropIndexes(l []object, drop map[int]bool) []object {
	var out []object
	for i, x := range l {
		if !drop[i] {
			out = append(out, x)
		}
	}
	return out
}

// hashStem splits "name-<hash>" where the hash is 6 to 10 lowercase letters
// and digits that do not read as a word: with a digit, or without vowels.
// suffixStem is the name without a last part that could be a hash: 6 to
// 10 lowercase letters and digits.
func suffixStem(name string) (string, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return "", false
	}
	h := name[i+1:]
	if len(h) < 6 || len(h) > 10 {
		return "", false
	}
	for _, r := range h {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return "", false
		}
	}
	return name[:i], true
}

func hashStem(name string) (string, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return "", false
	}
	h := name[i+1:]
	if len(h) < 6 || len(h) > 10 {
		return "", false
	}
	digit, vowel := false, false
	for _, r := range h {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune("aeiou", r):
			vowel = true
		case r >= 'a' && r <= 'z':
		default:
			return "", false
		}
	}
	if !digit && vowel {
		return "", false
	}
	return name[:i], true
}
