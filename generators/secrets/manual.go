package secrets

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/namespace"
	"github.com/ydpgen/ydpgen/internal/markdown"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
	"github.com/ydpgen/ydpgen/passes/syncpolicy"
)

// manualProvider renders no Secret objects: SECRETS.md lists every Secret
// the tree reads and create-secrets.sh creates them, from values given
// once; SECRETS.md shows the script's commands block by block.
type manualProvider struct{}

func (manualProvider) Name() string { return ProviderManual }

func (manualProvider) Render(env *model.Environment, list []credentials.Secret) (generators.Artifacts, error) {
	for _, s := range list {
		for _, d := range s.Derived {
			for _, r := range d.Refs() {
				if r.Secret == s.Name {
					return generators.Artifacts{}, fmt.Errorf("secret %s: key %s repeats its own key %s, which the script cannot read back", s.Name, d.Key, r.Key)
				}
			}
		}
	}
	ns, err := namespaceJSON(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	return generators.Artifacts{Files: []objset.File{
		{Path: DocPath, Data: manualDoc(env, list, ns)},
		{Path: ScriptPath, Data: script(env, list, ns)},
	}}, nil
}

// namespaceJSON is the environment's Namespace as the overlay has it: the
// namespace generator's object after the same passes every rendered object
// goes through (stage label, the engine's labels and annotations), as one
// line of JSON.
func namespaceJSON(env *model.Environment) (string, error) {
	e, err := objset.NewEntry(namespace.Object(env))
	if err != nil {
		return "", err
	}
	entries := stages.LabelAll([]objset.Entry{e})
	syncpolicy.Annotate(env, entries)
	m := entries[0].Content
	// An empty creationTimestamp and status say nothing.
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// manualDoc is SECRETS.md for the manual provider.
func manualDoc(env *model.Environment, list []credentials.Secret, namespaceJSON string) []byte {
	ns := env.Namespace.Name
	d := &markdown.Doc{}
	d.Comment(objset.HeaderText)
	d.Line("# Secrets of environment %s", markdown.Code(env.Name))
	d.Blank()
	d.Line("Platform %s, namespace %s, secrets provider `manual`.", markdown.Code(env.Platform), markdown.Code(ns))
	d.Blank()
	d.Line("ydpgen renders no Secret and no secret value. Before the platform is synced, create the namespace and")
	d.Line("every Secret below, on an empty cluster too: run %s from this directory (it reads each value from an", markdown.Code("sh "+ScriptPath))
	d.Line("environment variable, or asks for it on the terminal without echo, and prints nothing), or run the")
	d.Line("blocks below in order after the helper functions. Either is safe to repeat. No value is asked for twice:")
	d.Line("random keys are generated once and never again, and Secrets that repeat other Secrets' values (a connection")
	d.Line("URL holding a password) are built from those Secrets with `kubectl get secret ... -o jsonpath`.")
	d.Blank()
	d.Line("| Secret | Type | Keys | Made | Variables |")
	d.Line("| --- | --- | --- | --- | --- |")
	for _, s := range list {
		var vars []string
		if s.IssuedBy == "" && !(s.Shared != nil && s.Shared.Partner.SameCluster) {
			if s.Kind == credentials.Registry && len(s.Registries) > 0 {
				for _, h := range s.Registries {
					vars = append(vars, registryVar(s, h)+"_USERNAME", registryVar(s, h)+"_PASSWORD")
				}
			} else {
				for _, k := range s.Layout.Keys {
					if s.Typed(k) {
						v := envVar(s.Name, k.Name)
						if k.File {
							v += "_FILE"
						}
						vars = append(vars, v)
					}
				}
			}
		}
		d.Line("| %s | %s | %s | %s | %s |", markdown.Code(s.Name), markdown.Cell(typeName(s)), markdown.Cell(markdown.CodeList(s.Layout.KeyNames())), markdown.Cell(madeFrom(s, ProviderManual)), markdown.Cell(markdown.CodeList(vars)))
	}
	d.Blank()
	d.Line("## The namespace")
	d.Blank()
	d.Line("The overlay owns the namespace too (its `namespace` stage applies the same object, with the same labels);")
	d.Line("creating it first lets the Secrets in.")
	d.Blank()
	fenced(d, "sh", fmt.Sprintf("ns=%s\nif ! kubectl get namespace \"$ns\" >/dev/null 2>&1; then\n\tprintf '%%s' %s | kubectl create -f -\nfi", shQuote(ns), shQuote(namespaceJSON)))
	d.Blank()
	d.Line("## Helper functions")
	d.Blank()
	d.Line("The blocks below use these (the script defines them the same way). Start a new `sh` and paste these first,")
	d.Line("then the blocks in order: a failing step ends that shell, not your terminal's.")
	d.Blank()
	fenced(d, "sh", "ns="+shQuote(ns)+"\n"+scriptHelpers)
	d.Blank()
	for _, pass := range []bool{false, true} {
		for _, s := range list {
			if (len(s.Derived) > 0) != pass {
				continue
			}
			d.Line("## %s", markdown.Code(s.Name))
			d.Blank()
			usedBy(d, s)
			writeNotes(d, env, s)
			if blk := secretBlock(env, s); blk != "" {
				fenced(d, "sh", blk)
				d.Blank()
			}
		}
	}
	d.Line("## Changing a value")
	d.Blank()
	d.Line("The script never changes a Secret that exists. To change a typed value, delete the Secret and run the")
	d.Line("script again; the Secrets built from it follow on that run. Generated keys are kept on purpose:")
	d.Blank()
	fernetRotation(d, env, ProviderManual)
	return []byte(strings.TrimRight(string(d.Bytes()), "\n") + "\n")
}
