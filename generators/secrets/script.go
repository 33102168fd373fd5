package secrets

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// ScriptPath is where the manual provider's script goes, relative to the
// overlay.
const ScriptPath = "create-secrets.sh"

// FieldManager is who the script's server-side applies are recorded as.
const FieldManager = "ydpgen-create-secrets"

// The script is POSIX sh. It never puts a value on a command line (where
// other users of the machine could read it in the process list) or on its
// output: values travel in shell variables, through builtins (printf) and
// pipes into base64, kubectl and awk. Secrets are created only when
// missing, so that a second run changes nothing and a generated key is
// never made twice; a Secret derived from others is applied again with
// server-side apply, which writes nothing when the value is the same and
// follows a rotated source when it is not.

// scriptHelpers are the shell functions every block of the script uses;
// SECRETS.md shows them once, for readers who run the blocks by hand.
const scriptHelpers = `set -eu
umask 077
ydp_data=''

# ydp_fail MESSAGE: stop with a message on stderr.
ydp_fail() { printf 'create-secrets.sh: %s\n' "$1" >&2; exit 1; }

# ydp_exists KIND NAME: whether the object exists in namespace $ns.
ydp_exists() {
	ydp_found=$(kubectl get "$1" "$2" --namespace "$ns" --ignore-not-found -o name) || exit 1
	[ -n "$ydp_found" ]
}

# ydp_ask VARIABLE WHAT: read a value typed on the terminal, without echo.
ydp_ask() {
	if ! ( : </dev/tty ) 2>/dev/null; then
		ydp_fail "$2: set $1 (or $1_FILE), there is no terminal to ask on"
	fi
	trap 'stty echo </dev/tty 2>/dev/null || true' EXIT INT TERM
	printf '%s (%s): ' "$2" "$1" >/dev/tty
	stty -echo </dev/tty 2>/dev/null || true
	IFS= read -r ydp_value </dev/tty || ydp_value=''
	stty echo </dev/tty 2>/dev/null || true
	printf '\n' >/dev/tty
}

# ydp_text VARIABLE WHAT: ydp_value is the variable's value, or what is
# typed on the terminal.
ydp_text() {
	eval "ydp_set=\${$1+set}"
	if [ "$ydp_set" = set ]; then
		eval "ydp_value=\${$1}"
	else
		ydp_ask "$1" "$2"
	fi
}

# ydp_read VARIABLE WHAT [file]: ydp_b64 is the value in base64: the
# variable's, the content of the file VARIABLE_FILE names, or what is typed
# (for a file key, the file's path).
ydp_read() {
	eval "ydp_file=\${$1_FILE-}"
	if [ -z "$ydp_file" ] && [ "${3-}" = file ]; then
		eval "ydp_set=\${$1+set}"
		if [ "$ydp_set" != set ]; then
			ydp_ask "$1_FILE" "$2, the file's path"
			ydp_file=$ydp_value
		fi
	fi
	if [ -n "$ydp_file" ]; then
		ydp_b64=$(base64 <"$ydp_file" | tr -d '\n') || ydp_fail "cannot read $ydp_file ($1_FILE)"
		return
	fi
	ydp_text "$1" "$2"
	ydp_b64=$(printf '%s' "$ydp_value" | base64 | tr -d '\n')
}

# ydp_random_base64url BYTES, ydp_random_hex BYTES: a fresh random value.
ydp_random_base64url() { head -c "$1" /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }
ydp_random_hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

# ydp_get SECRET KEY [NAMESPACE]: the base64 value of a key of a Secret.
ydp_get() {
	ydp_got=$(kubectl get secret "$1" --namespace "${3:-$ns}" -o "jsonpath={.data.$2}") || exit 1
	[ -n "$ydp_got" ] || ydp_fail "Secret $1 in namespace ${3:-$ns} has no key $2"
	printf '%s' "$ydp_got"
}

# ydp_key SECRET KEY: the value of a key of a Secret in namespace $ns.
ydp_key() {
	ydp_k=$(ydp_get "$1" "$2") || exit 1
	printf '%s' "$ydp_k" | base64 -d
}

# ydp_url VALUE: VALUE percent-encoded for a URL (all but A-Z a-z 0-9 - . _ ~).
ydp_url() {
	printf '%s' "$1" | od -An -v -tu1 | awk '{ for (i = 1; i <= NF; i++) { c = $i + 0
		if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95 || c == 126) printf "%c", c
		else printf "%%%02X", c } }'
}

# ydp_pgq VALUE: VALUE with '"' doubled, as PgBouncer's users.txt reads it.
ydp_pgq() { printf '%s' "$1" | sed 's/"/""/g'; }

# ydp_add KEY BASE64: a key of the Secret being built.
ydp_add() { ydp_data="$ydp_data${ydp_data:+,}\"$1\":\"$2\""; }

# ydp_secret create|apply NAME TYPE LABELS: create the Secret built with
# ydp_add, or apply it server-side.
ydp_secret() {
	ydp_json=$(printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s","labels":%s},"type":"%s","data":{%s}}' "$2" "$ns" "$4" "$3" "$ydp_data")
	ydp_data=''
	if [ "$1" = create ]; then
		printf '%s' "$ydp_json" | kubectl create -f - >/dev/null
	else
		printf '%s' "$ydp_json" | kubectl apply --server-side --field-manager=` + FieldManager + ` -f - >/dev/null
	fi
}
`

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// envVar is the variable the script reads a key's value from.
func envVar(secret, key string) string {
	up := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				return r
			}
			return '_'
		}, s)
	}
	return "YDP_" + up(secret) + "_" + strings.TrimLeft(up(key), "_")
}

// jsonPathKey escapes a Secret key for kubectl's jsonpath.
func jsonPathKey(key string) string { return strings.ReplaceAll(key, ".", `\.`) }

// secretLabels are the labels of a Secret the script creates: those of the
// objects ydpgen renders, without the stage and managed-by labels, so that
// a pruning apply of the rendered tree never takes a created Secret for one
// of its own.
func secretLabels(env *model.Environment, name string) string {
	l := map[string]string{
		"app.kubernetes.io/name":      name,
		"app.kubernetes.io/instance":  env.Platform,
		"app.kubernetes.io/component": "credentials",
		"app.kubernetes.io/part-of":   "yellowdataplatform",
	}
	b, _ := json.Marshal(l) // sorted keys
	return string(b)
}

// blockLine writes one line of a Secret's block.
type block struct{ b strings.Builder }

func (bl *block) line(indent int, format string, args ...any) {
	bl.b.WriteString(strings.Repeat("\t", indent))
	fmt.Fprintf(&bl.b, format, args...)
	bl.b.WriteByte('\n')
}

// secretBlock is the script's part for one Secret, or "" for one that
// cert-manager writes.
func secretBlock(env *model.Environment, s credentials.Secret) string {
	if s.IssuedBy != "" {
		return ""
	}
	var bl block
	labels := shQuote(secretLabels(env, s.Name))
	typ := s.Layout.Type
	if len(s.Derived) == len(s.Layout.Keys) {
		// Built from other Secrets only: applied on every run.
		bl.line(0, "# %s: built from %s.", s.Name, strings.Join(sourcesOf(s), ", "))
		derivedKeys(&bl, 0, s)
		bl.line(0, "ydp_secret apply %s %s %s", s.Name, typ, labels)
		return bl.b.String()
	}
	bl.line(0, "# %s: %s.", s.Name, made(s))
	bl.line(0, "if ! ydp_exists secret %s; then", s.Name)
	switch {
	case s.Shared != nil && s.Shared.Partner.SameCluster:
		from := s.Shared.Partner.Namespace
		for _, k := range s.Layout.Keys {
			if k.Optional {
				bl.line(1, "ydp_b64=$(kubectl get secret %s --namespace %s -o %s)", s.Name, from, shQuote("jsonpath={.data."+jsonPathKey(k.Name)+"}"))
			} else {
				bl.line(1, "ydp_b64=$(ydp_get %s %s %s)", s.Name, shQuote(jsonPathKey(k.Name)), from)
			}
			bl.line(1, "ydp_add %s \"$ydp_b64\"", shQuote(k.Name))
		}
	case s.Kind == credentials.Registry && len(s.Registries) > 0:
		registryKeys(&bl, s)
	default:
		for _, k := range s.Layout.Keys {
			if _, derived := s.DerivedKey(k.Name); derived {
				continue
			}
			switch {
			case k.Random != nil && k.Random.Encoding == credentials.Base64URL:
				bl.line(1, "ydp_b64=$(ydp_random_base64url %d | base64 | tr -d '\\n')", k.Random.Bytes)
				bl.line(1, "ydp_add %s \"$ydp_b64\"", shQuote(k.Name))
			case k.Random != nil:
				bl.line(1, "ydp_b64=$(ydp_random_hex %d | base64 | tr -d '\\n')", k.Random.Bytes)
				bl.line(1, "ydp_add %s \"$ydp_b64\"", shQuote(k.Name))
			default:
				if k.File {
					bl.line(1, "ydp_read %s %s file", envVar(s.Name, k.Name), shQuote(what(s, k)))
				} else {
					bl.line(1, "ydp_read %s %s", envVar(s.Name, k.Name), shQuote(what(s, k)))
				}
				bl.line(1, "ydp_add %s \"$ydp_b64\"", shQuote(k.Name))
			}
		}
		derivedKeys(&bl, 1, s)
	}
	bl.line(1, "ydp_secret create %s %s %s", s.Name, typ, labels)
	bl.line(0, "fi")
	return bl.b.String()
}

// made says where a created Secret's values come from.
func made(s credentials.Secret) string {
	switch {
	case s.Shared != nil && s.Shared.Partner.SameCluster:
		return fmt.Sprintf("copied from namespace %s (environment %s), which shares it", s.Shared.Partner.Namespace, s.Shared.With)
	case s.Kind == credentials.Registry:
		return "a registry login for " + strings.Join(s.Registries, ", ")
	}
	var typed, random bool
	for _, k := range s.Layout.Keys {
		if _, derived := s.DerivedKey(k.Name); derived {
			continue
		}
		typed = typed || k.Random == nil
		random = random || k.Random != nil
	}
	switch {
	case random && !typed:
		return "generated once, never again"
	case random:
		return "typed and generated values"
	}
	return "typed once"
}

func sourcesOf(s credentials.Secret) []string {
	var out []string
	for _, d := range s.Derived {
		for _, r := range d.Refs() {
			name := r.Secret
			if name == s.Name {
				continue
			}
			found := false
			for _, o := range out {
				found = found || o == name
			}
			if !found {
				out = append(out, name)
			}
		}
	}
	return out
}

// what names a typed key for a prompt.
func what(s credentials.Secret, k credentials.Key) string {
	w := fmt.Sprintf("key %s of Secret %s", k.Name, s.Name)
	if s.Credential != "" {
		w = fmt.Sprintf("%s of credential %s", k.Name, s.Credential)
	}
	if k.File {
		w += " (a file)"
	}
	return w
}

// registryKeys builds a docker config with one login per registry host.
func registryKeys(bl *block, s credentials.Secret) {
	bl.line(1, "ydp_read_config() {")
	bl.line(2, "eval \"ydp_file=\\${%s_FILE-}\"", envVar(s.Name, credentials.DockerConfigKey))
	bl.line(2, "if [ -n \"$ydp_file\" ]; then ydp_b64=$(base64 <\"$ydp_file\" | tr -d '\\n'); return; fi")
	bl.line(2, "ydp_auths=''")
	for _, h := range s.Registries {
		prefix := registryVar(s, h)
		bl.line(2, "ydp_text %s_USERNAME %s", prefix, shQuote("user name for "+h))
		bl.line(2, "ydp_user=$ydp_value")
		bl.line(2, "ydp_text %s_PASSWORD %s", prefix, shQuote("password or access token for "+h))
		bl.line(2, "ydp_auth=$(printf '%%s:%%s' \"$ydp_user\" \"$ydp_value\" | base64 | tr -d '\\n')")
		hostJSON, _ := json.Marshal(h)
		bl.line(2, "ydp_auths=\"$ydp_auths${ydp_auths:+,}\"%s'{\"auth\":\"'\"$ydp_auth\"'\"}'", shQuote(string(hostJSON)+":"))
	}
	bl.line(2, "ydp_b64=$(printf '{\"auths\":{%%s}}' \"$ydp_auths\" | base64 | tr -d '\\n')")
	bl.line(1, "}")
	bl.line(1, "ydp_read_config")
	bl.line(1, "ydp_add %s \"$ydp_b64\"", shQuote(credentials.DockerConfigKey))
}

// registryVar is the prefix of the variables holding the login for a
// registry host: the Secret's, with the host when there are several.
func registryVar(s credentials.Secret, host string) string {
	if len(s.Registries) < 2 {
		return strings.TrimSuffix(envVar(s.Name, ""), "_")
	}
	if host == credentials.DockerHub {
		host = "docker.io"
	}
	return envVar(s.Name, host)
}

// derivedKeys assembles each derived key from the values it repeats, read
// from their Secrets (or from the one being built).
func derivedKeys(bl *block, indent int, s credentials.Secret) {
	for _, d := range s.Derived {
		vars := map[credentials.KeyRef]string{}
		for i, r := range d.Refs() {
			v := fmt.Sprintf("ydp_in%d", i+1)
			vars[r] = v
			bl.line(indent, "%s=$(ydp_key %s %s)", v, r.Secret, shQuote(jsonPathKey(r.Key)))
		}
		var expr strings.Builder
		for _, p := range d.Pieces {
			if p.Secret == "" {
				expr.WriteString(shQuote(p.Text))
				continue
			}
			v := vars[credentials.KeyRef{Secret: p.Secret, Key: p.Key}]
			switch p.Escape {
			case credentials.URLEscape:
				fmt.Fprintf(&expr, `"$(ydp_url "$%s")"`, v)
			case credentials.PgBouncerQuote:
				fmt.Fprintf(&expr, `"$(ydp_pgq "$%s")"`, v)
			default:
				fmt.Fprintf(&expr, `"$%s"`, v)
			}
		}
		bl.line(indent, "ydp_value=%s", expr.String())
		bl.line(indent, "ydp_b64=$(printf '%%s' \"$ydp_value\" | base64 | tr -d '\\n')")
		bl.line(indent, "ydp_add %s \"$ydp_b64\"", shQuote(d.Key))
	}
}

// script is create-secrets.sh: the namespace, then every Secret, those
// built from others last.
func script(env *model.Environment, list []credentials.Secret, namespaceJSON string) []byte {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/sh")
	b.WriteString(objset.Header)
	w("#")
	w("# Creates the namespace %s and the Secrets of environment %s (platform %s)", env.Namespace.Name, env.Name, env.Platform)
	w("# with kubectl's current context. Safe to run again: what exists is left as it")
	w("# is, and the Secrets built from others are applied again, which changes nothing")
	w("# unless a value they repeat has changed. Nothing is printed unless something fails.")
	w("#")
	w("# Each value comes from an environment variable, from the file a variable")
	w("# ending in _FILE names, or is asked for on the terminal without echo:")
	for _, v := range scriptVariables(list) {
		w("#   %s", v)
	}
	w("")
	w("ns=%s", shQuote(env.Namespace.Name))
	b.WriteString(scriptHelpers)
	w("")
	w("# The namespace, as the overlay applies it (its namespace stage).")
	w("if ! ydp_exists namespace %s; then", env.Namespace.Name)
	w("\tprintf '%%s' %s | kubectl create -f - >/dev/null", shQuote(namespaceJSON))
	w("fi")
	for _, pass := range []bool{false, true} {
		for _, s := range list {
			if (len(s.Derived) > 0) != pass {
				continue
			}
			if blk := secretBlock(env, s); blk != "" {
				w("")
				b.WriteString(blk)
			}
		}
	}
	return []byte(b.String())
}

// scriptVariables lists the variables the script reads, one line each with
// what they hold.
func scriptVariables(list []credentials.Secret) []string {
	var out []string
	for _, s := range list {
		if s.IssuedBy != "" || (s.Shared != nil && s.Shared.Partner.SameCluster) {
			continue
		}
		if s.Kind == credentials.Registry && len(s.Registries) > 0 {
			out = append(out, fmt.Sprintf("%-40s %s", envVar(s.Name, credentials.DockerConfigKey)+"_FILE", "a docker config.json for credential "+s.Credential+", or instead:"))
			for _, h := range s.Registries {
				out = append(out, fmt.Sprintf("%-40s %s", registryVar(s, h)+"_USERNAME", "user name for "+h))
				out = append(out, fmt.Sprintf("%-40s %s", registryVar(s, h)+"_PASSWORD", "password or access token for "+h))
			}
			continue
		}
		for _, k := range s.Layout.Keys {
			if !s.Typed(k) {
				continue
			}
			v := envVar(s.Name, k.Name)
			if k.File {
				v += "_FILE"
			}
			out = append(out, fmt.Sprintf("%-40s %s", v, what(s, k)))
		}
	}
	return out
}
