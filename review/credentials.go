package review

import (
	"fmt"
	"slices"
	"strings"
)

// A credential that is new to an environment must exist before the sync
// that first reads it: a renamed credential is a new Secret (or remote
// key), and so is every Secret of a namespace the environment moves to.
// The tree says which: the ExternalSecrets' remote keys under the
// external-secrets provider, the table of SECRETS.md under the manual one.

// remoteKey is one secret an ExternalSecret reads from its store.
type remoteKey struct {
	store string // "SecretStore name"
	key   string
}

// remoteKeys lists what an ExternalSecret reads from its store: the key of
// every data item and of every extract; generators read nothing.
func remoteKeys(o object) []remoteKey {
	if o.gvk.Group != "external-secrets.io" || o.gvk.Kind != "ExternalSecret" {
		return nil
	}
	kind, _ := get(o.content, "spec", "secretStoreRef", "kind")
	name, _ := get(o.content, "spec", "secretStoreRef", "name")
	k, _ := kind.(string)
	if k == "" {
		k = "SecretStore"
	}
	n, _ := name.(string)
	store := k + " " + n
	var out []remoteKey
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" && !slices.Contains(out, remoteKey{store, s}) {
			out = append(out, remoteKey{store, s})
		}
	}
	data, _ := get(o.content, "spec", "data")
	items, _ := data.([]any)
	for _, it := range items {
		key, _ := get(it, "remoteRef", "key")
		add(key)
	}
	from, _ := get(o.content, "spec", "dataFrom")
	items, _ = from.([]any)
	for _, it := range items {
		key, _ := get(it, "extract", "key")
		add(key)
	}
	return out
}

// remoteKeyFlags flags each remote key a new side's ExternalSecret reads
// that no ExternalSecret of the old side read, once: flagged holds the keys
// flagged on other objects already (the Secrets an operator builds from
// another's key read the same key).
func remoteKeyFlags(old []object, n object, flagged map[remoteKey]bool) []Flag {
	known := map[remoteKey]bool{}
	for _, o := range old {
		for _, k := range remoteKeys(o) {
			known[k] = true
		}
	}
	var flags []Flag
	for _, k := range remoteKeys(n) {
		if !known[k] && !flagged[k] {
			flagged[k] = true
			flags = append(flags, flag(CredentialNew, fmt.Sprintf("remote key %s must exist in %s before this merges", k.key, k.store)))
		}
	}
	return flags
}

// manualSecret is a row of the table in SECRETS.md, which the manual
// provider's users create by hand (or with create-secrets.sh).
type manualSecret struct {
	name, made string
}

// manualSecrets reads the namespace and the Secrets that SECRETS.md of the
// manual provider asks for; ok is false for another provider's document.
func manualSecrets(data []byte) (namespace string, secrets []manualSecret, ok bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if rest, found := strings.CutPrefix(line, "Platform `"); found && strings.Contains(rest, "secrets provider `manual`") {
			if _, after, found := strings.Cut(rest, "namespace `"); found {
				namespace, _, _ = strings.Cut(after, "`")
				ok = true
			}
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 4 {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[0]), "`")
		made := strings.TrimSpace(cells[3])
		// cert-manager issues the Ingress certificate: nobody makes it.
		if name == "" || strings.HasPrefix(made, "issued by") {
			continue
		}
		secrets = append(secrets, manualSecret{name, made})
	}
	return namespace, secrets, ok && namespace != ""
}

// manualSecretFlags flags each Secret the new SECRETS.md asks for that the
// old one did not, in its namespace.
func manualSecretFlags(a, b []byte) []Flag {
	nsb, newSecrets, ok := manualSecrets(b)
	if !ok {
		return nil
	}
	nsa, oldSecrets, _ := manualSecrets(a)
	var flags []Flag
	for _, s := range newSecrets {
		if nsa == nsb && slices.ContainsFunc(oldSecrets, func(o manualSecret) bool { return o.name == s.name }) {
			continue
		}
		flags = append(flags, flag(CredentialNew, fmt.Sprintf("Secret %s must exist in namespace %s before this merges (%s; SECRETS.md says how)", s.name, nsb, s.made)))
	}
	return flags
}
