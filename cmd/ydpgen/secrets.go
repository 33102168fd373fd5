package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/sealedfiles"
	"github.com/ydpgen/ydpgen/sealing"
)

// The secrets command seals an environment's Secrets into encrypted files
// next to the spec (providers sops and sealed-secrets) and reports on
// them. It is the one place ydpgen encrypts: render only copies and
// checks what seal wrote.
func newSecretsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Seal the Secrets of an environment into git, encrypted, and show their state",
		Long: `secrets works on the encrypted Secrets of environments whose secrets
provider is sops or sealed-secrets, kept in secrets/<env>/ next to the spec
(or in secrets.directory). seal encrypts values into them; status shows
what they hold without decrypting. render copies the files into the
overlay unchanged and refuses a missing Secret, a missing key or a value
in clear.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newSealCommand(a), newSecretsStatusCommand(a))
	for _, c := range cmd.Commands() {
		wrapArgs(c)
	}
	return cmd
}

type sealFlags struct {
	env, dotenv, identity string
	fromEnv, rotate       bool
}

func newSealCommand(a *app) *cobra.Command {
	var f sealFlags
	cmd := &cobra.Command{
		Use:   "seal [SPEC] --env NAME [--rotate] [--from-env | --dotenv FILE] [--identity FILE]",
		Short: "Encrypt an environment's Secrets into its sealed directory",
		Long: `seal encrypts the values of every Secret an environment needs into one
file per Secret in its sealed directory (secrets/<env>/ next to the spec):
SOPS files for the age recipients of secrets.sops, or SealedSecrets for the
controller certificate of secrets.sealedSecrets. SPEC is the spec file or
its directory (default: the current directory).

Values come from variables named YDPGEN_SECRET_<SECRET>__<KEY> (upper case,
other characters as '_'): with --from-env from the environment, with
--dotenv from a NAME=value file that must lie outside the repository;
otherwise seal asks for each on the terminal without echo (an empty answer
keeps what is sealed). Random keys (the fernet key, the API and JWT
secrets) are generated once. Keys built from others (connection URLs) are
sealed from their parts.

Sealing again encrypts only what changed: the other entries keep their
ciphertext. A SOPS file can change in place only with an age identity that
decrypts it (--identity FILE, or SOPS_AGE_KEY_FILE); without one, seal
needs every value of a Secret it changes. --rotate encrypts everything
anew: for new recipients (SOPS, with --identity) or a new certificate.`,
		Example: `  ydpgen secrets seal --env lab
  YDPGEN_SECRET_POSTGRES__PASSWORD=... ydpgen secrets seal examples/pi-lab --env lab --from-env
  ydpgen secrets seal --env lab --dotenv ~/lab.env --identity ~/.config/sops/age/keys.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.env == "" {
				return usagef("seal needs --env NAME")
			}
			if f.fromEnv && f.dotenv != "" {
				return usagef("--from-env and --dotenv are two sources of values; give one")
			}
			specArg := "."
			if len(args) == 1 {
				specArg = args[0]
			}
			return a.seal(specArg, f)
		},
	}
	cmd.Flags().StringVar(&f.env, "env", "", "the environment whose Secrets to seal")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	cmd.Flags().BoolVar(&f.rotate, "rotate", false, "encrypt every value anew (new recipients or certificate)")
	cmd.Flags().BoolVar(&f.fromEnv, "from-env", false, "read values from YDPGEN_SECRET_* environment variables")
	cmd.Flags().StringVar(&f.dotenv, "dotenv", "", "read values from this NAME=value file, outside the repository")
	cmd.Flags().StringVar(&f.identity, "identity", "", "age identity file (sops) or the controller's private key PEM (sealed-secrets), to change values in place")
	return cmd
}

// sealTarget is one environment of a loaded spec, ready to seal or show.
type sealTarget struct {
	specPath string
	env      *model.Environment
	dir      string // the sealed directory on disk
	format   sealing.Format
	list     []credentials.Secret
	cert     *sealing.Certificate
}

// loadSealed loads the spec and picks the environments of a sealed
// provider: the one named, or all when name is empty.
func (a *app) loadSealed(specArg, name string) ([]sealTarget, error) {
	s, err := a.loadSchema()
	if err != nil {
		return nil, err
	}
	path, err := specFile(specArg)
	if err != nil {
		return nil, err
	}
	src, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	p, err := s.Load(path, src)
	if err != nil {
		return nil, err
	}
	var names []string
	var out []sealTarget
	specDir := filepath.Dir(path)
	for i := range p.Environments {
		env := &p.Environments[i]
		names = append(names, env.Name)
		if name != "" && env.Name != name {
			continue
		}
		if !env.Secrets.Sealed() {
			if name != "" {
				return nil, usagef("environment %s has secrets provider %s; seal and status are for sops and sealed-secrets", name, env.Secrets.Provider)
			}
			continue
		}
		t := sealTarget{specPath: path, env: env, format: sealedfiles.Format(env),
			dir: filepath.Join(specDir, filepath.FromSlash(env.Secrets.Directory))}
		if t.list, err = credentials.List(env); err != nil {
			return nil, err
		}
		t.list = sealedfiles.Needed(t.list)
		if env.Secrets.Provider == model.ProviderSealedSecrets {
			cert, findings := sealedfiles.Certificate(env, os.DirFS(specDir))
			if findings != nil {
				return nil, findings
			}
			t.cert = cert
		}
		out = append(out, t)
	}
	if name != "" && len(out) == 0 {
		msg := fmt.Sprintf("no environment %q in %s (environments: %s)", name, displayPath(path), strings.Join(names, ", "))
		if near := diag.Nearest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		return nil, usagef("%s", msg)
	}
	return out, nil
}

// sealer is what SOPS and SealedSecrets have in common.
type sealer interface {
	Seal(sec *corev1.Secret) ([]byte, error)
	Update(file string, content []byte, sec *corev1.Secret, opt sealing.UpdateOptions) (sealing.Result, error)
}

func (a *app) seal(specArg string, f sealFlags) error {
	targets, err := a.loadSealed(specArg, f.env)
	if err != nil {
		return err
	}
	t := targets[0]
	env := t.env

	identity := f.identity
	if identity == "" && t.format == sealing.FormatSOPS {
		identity = os.Getenv("SOPS_AGE_KEY_FILE")
	}
	var sops sealing.SOPS
	var sealed sealing.SealedSecrets
	var s sealer
	switch t.format {
	case sealing.FormatSOPS:
		sops = sealing.SOPS{Recipients: env.Secrets.SOPS.AgeRecipients}
		if identity != "" {
			if sops.Identities, err = ageIdentities(identity); err != nil {
				return err
			}
		}
		s = sops
	default:
		sealed = sealing.SealedSecrets{Certificate: t.cert, Scope: sealing.Scope(env.Secrets.SealedSecrets.Scope)}
		if identity != "" {
			b, err := os.ReadFile(identity)
			if err != nil {
				return filesErrorf("--identity %s: %v", displayPath(identity), reason(err))
			}
			if sealed.PrivateKeys, err = sealing.ParsePrivateKeys(identity, b); err != nil {
				return filesErrorf("%v", err)
			}
		}
		s = sealed
	}

	// What the files hold now: their keys, and with an identity (SOPS)
	// their values, so that derived keys can be built from parts that
	// are not given again.
	existing := map[string][]byte{}
	keys := map[string][]string{}
	known := sealing.Values{}
	for _, sec := range t.list {
		p := filepath.Join(t.dir, sealing.FileName(t.format, sec.Name))
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return filesErrorf("%s: %v", displayPath(p), reason(err))
		}
		existing[sec.Name] = b
		in, err := sealing.Inspect(displayPath(p), b)
		if err != nil {
			return filesErrorf("%v", err)
		}
		keys[sec.Name] = in.Keys
		if len(sops.Identities) > 0 && t.format == sealing.FormatSOPS {
			old, err := sops.Decrypt(displayPath(p), b)
			if err != nil {
				return filesErrorf("%v", err)
			}
			for k, v := range old.Data {
				setValue(known, sec.Name, k, string(v))
			}
			for k, v := range old.StringData {
				setValue(known, sec.Name, k, v)
			}
		}
	}

	// Every key a person types; one already sealed may be left out.
	// Rotating SealedSecrets without the private key needs every value
	// again, the generated ones included.
	fullReseal := f.rotate && t.format == sealing.FormatSealedSecrets && len(sealed.PrivateKeys) == 0
	var reqs []sealing.Request
	for _, sec := range t.list {
		for _, k := range sec.Layout.Keys {
			_, derived := sec.DerivedKey(k.Name)
			if derived || (k.Random != nil && !fullReseal) {
				continue
			}
			have := slices.Contains(keys[sec.Name], k.Name) && !fullReseal
			reqs = append(reqs, sealing.Request{Secret: sec.Name, Key: k.Name, Optional: k.Optional || have})
		}
	}
	r := sealing.Reader{RepoRoot: repoRoot(filepath.Dir(t.specPath))}
	switch {
	case f.fromEnv:
		r.Environ = os.Environ()
	case f.dotenv != "":
		r.DotenvFile = f.dotenv
	default:
		r.Prompt = sealing.TerminalPrompt(os.Stdin, a.stderr)
	}
	given, err := r.Read(reqs)
	if err != nil {
		return filesErrorf("%v", err)
	}
	for name, kv := range given {
		for k, v := range kv {
			setValue(known, name, k, v)
		}
	}
	generated := map[string][]string{}
	for _, sec := range t.list {
		for _, k := range sec.Layout.Keys {
			if k.Random == nil || slices.Contains(keys[sec.Name], k.Name) {
				continue
			}
			if _, ok := known[sec.Name][k.Name]; ok {
				continue
			}
			v, err := randomValue(*k.Random)
			if err != nil {
				return err
			}
			setValue(known, sec.Name, k.Name, v)
			generated[sec.Name] = append(generated[sec.Name], k.Name)
		}
	}
	lookup := func(secret, key string) (string, bool) {
		v, ok := known[secret][key]
		return v, ok
	}
	for _, sec := range t.list {
		for _, d := range sec.Derived {
			v, err := credentials.Evaluate(d.Pieces, lookup)
			if err != nil {
				if slices.Contains(keys[sec.Name], d.Key) && !fullReseal {
					continue // sealed before; its parts were not given again
				}
				return filesErrorf("Secret %s key %q is built from other keys, and seal has %v; give them (or --identity to read them from the sealed files)", sec.Name, d.Key, err)
			}
			setValue(known, sec.Name, d.Key, v)
		}
	}

	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return filesErrorf("%s: %v", displayPath(t.dir), reason(err))
	}
	for _, sec := range t.list {
		p := filepath.Join(t.dir, sealing.FileName(t.format, sec.Name))
		labels, annotations, err := sealedfiles.Metadata(env, sec.Name)
		if err != nil {
			return err
		}
		values := known[sec.Name]
		// Only the Secret's own keys: a value given for a key the layout
		// dropped is not sealed.
		for k := range values {
			if !sec.Layout.Has(k) {
				delete(values, k)
			}
		}
		obj := sealing.NewSecret(sec.Name, env.Namespace.Name, corev1.SecretType(sec.Layout.Type), values)
		obj.Labels, obj.Annotations = labels, annotations
		old, ok := existing[sec.Name]
		var out []byte
		var what string
		switch {
		case !ok:
			if out, err = s.Seal(obj); err != nil {
				return filesErrorf("%v", err)
			}
			what = "sealed"
		case f.rotate && t.format == sealing.FormatSOPS:
			if len(sops.Identities) == 0 {
				return filesErrorf("--rotate of SOPS files needs the age identity that decrypts them: --identity FILE or SOPS_AGE_KEY_FILE")
			}
			if out, err = sops.Rotate(displayPath(p), old); err != nil {
				return filesErrorf("%v", err)
			}
			what = "rotated"
		case fullReseal:
			if out, err = s.Seal(obj); err != nil {
				return filesErrorf("%v", err)
			}
			what = "rotated"
		default:
			opt := sealing.UpdateOptions{}
			switch {
			case t.format == sealing.FormatSOPS && len(sops.Identities) > 0:
				opt.Prune = true // the values are complete
			case t.format == sealing.FormatSOPS:
				// Without the identity a SOPS file changes only as a
				// whole (its MAC covers every value): sealed values are
				// kept, unverified, rather than every entry re-encrypted.
			default:
				for k := range given[sec.Name] {
					opt.Replace = append(opt.Replace, k)
				}
				for _, d := range sec.Derived {
					if _, ok := values[d.Key]; ok {
						opt.Replace = append(opt.Replace, d.Key)
					}
				}
				slices.Sort(opt.Replace)
			}
			res, err := s.Update(displayPath(p), old, obj, opt)
			if err != nil {
				return filesErrorf("%v", err)
			}
			if !res.Changed {
				note := ""
				if len(res.Unverified) > 0 && t.format == sealing.FormatSOPS {
					note = " (not compared without --identity: " + strings.Join(res.Unverified, ", ") + ")"
				}
				fmt.Fprintf(a.stdout, "%s: unchanged%s\n", displayPath(p), note)
				continue
			}
			out = res.File
			what = describeUpdate(res)
		}
		if err := writeFileAtomic(p, out); err != nil {
			return filesErrorf("%s: %v", displayPath(p), reason(err))
		}
		if g := generated[sec.Name]; len(g) > 0 {
			what += " (generated " + strings.Join(g, ", ") + ")"
		}
		fmt.Fprintf(a.stdout, "%s: %s\n", displayPath(p), what)
	}
	return nil
}

func describeUpdate(r sealing.Result) string {
	var parts []string
	for _, x := range []struct {
		what string
		keys []string
	}{{"added", r.Added}, {"replaced", r.Replaced}, {"removed", r.Removed}} {
		if len(x.keys) > 0 {
			parts = append(parts, x.what+" "+strings.Join(x.keys, ", "))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "metadata")
	}
	if r.Resealed {
		return "sealed anew: " + strings.Join(parts, "; ")
	}
	return "updated: " + strings.Join(parts, "; ")
}

func setValue(v sealing.Values, secret, key, value string) {
	if v[secret] == nil {
		v[secret] = map[string]string{}
	}
	v[secret][key] = value
}

// randomValue makes a generated key's value as its layout says.
func randomValue(r credentials.Random) (string, error) {
	b := make([]byte, r.Bytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if r.Encoding == credentials.Base64URL {
		return base64.URLEncoding.EncodeToString(b), nil
	}
	return hex.EncodeToString(b), nil
}

// ageIdentities reads the AGE-SECRET-KEY lines of an age identity file.
func ageIdentities(file string) ([]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, filesErrorf("age identity file %s: %v", displayPath(file), reason(err))
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "AGE-SECRET-KEY-") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, filesErrorf("age identity file %s holds no AGE-SECRET-KEY-1... line", displayPath(file))
	}
	return out, nil
}

// repoRoot is the git repository dir lies in (the nearest directory up
// with a .git), or dir itself: a values file must lie outside it.
func repoRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for p := abs; ; p = filepath.Dir(p) {
		if _, err := os.Stat(filepath.Join(p, ".git")); err == nil {
			return p
		}
		if filepath.Dir(p) == p {
			return abs
		}
	}
}

// writeFileAtomic replaces path with data through a file beside it, so
// that an interrupted seal leaves the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func newSecretsStatusCommand(a *app) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:   "status [SPEC] [--env NAME] [--format text|json]",
		Short: "Show each sealed Secret: present, missing keys, recipients, last sealed",
		Long: `status reads the sealed files of each environment whose provider is sops
or sealed-secrets (or of --env NAME) without decrypting them, and prints per
Secret whether its file is there, which keys it lacks or holds in excess,
whom it is encrypted for (age recipients, or the certificate's
fingerprint) and when it was last sealed (SOPS's lastmodified). It never
prints a value.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			specArg := "."
			if len(args) == 1 {
				specArg = args[0]
			}
			targets, err := a.loadSealed(specArg, env)
			if err != nil {
				return err
			}
			var all []envStatus
			for _, t := range targets {
				st, err := status(t)
				if err != nil {
					return err
				}
				all = append(all, st)
			}
			if a.output == "json" {
				if all == nil {
					all = []envStatus{}
				}
				return writeJSON(a.stdout, all)
			}
			printStatus(a, all)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	_ = cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	addFormatFlag(cmd, "text", "json")
	return cmd
}

type envStatus struct {
	Environment string         `json:"environment"`
	Provider    string         `json:"provider"`
	Directory   string         `json:"directory"`
	Secrets     []secretStatus `json:"secrets"`
}

type secretStatus struct {
	Name        string   `json:"name"`
	File        string   `json:"file"`
	Present     bool     `json:"present"`
	Keys        []string `json:"keys,omitempty"`
	MissingKeys []string `json:"missingKeys,omitempty"`
	ExtraKeys   []string `json:"extraKeys,omitempty"`
	// Recipients are a SOPS file's age recipients; SealedWith a
	// SealedSecret's certificate fingerprint.
	Recipients []string `json:"recipients,omitempty"`
	SealedWith string   `json:"sealedWith,omitempty"`
	// LastSealed is SOPS's lastmodified, RFC 3339 UTC.
	LastSealed string `json:"lastSealed,omitempty"`
	// Problems are what render would refuse or warn about, without keys.
	Problems []string `json:"problems,omitempty"`
}

func status(t sealTarget) (envStatus, error) {
	out := envStatus{Environment: t.env.Name, Provider: t.env.Secrets.Provider, Directory: displayPath(t.dir)}
	if out.Directory == t.dir {
		out.Directory = filepath.ToSlash(t.dir)
	}
	for _, sec := range t.list {
		p := filepath.Join(t.dir, sealing.FileName(t.format, sec.Name))
		st := secretStatus{Name: sec.Name, File: filepath.ToSlash(displayPath(p))}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			st.MissingKeys = sec.Layout.KeyNames()
			out.Secrets = append(out.Secrets, st)
			continue
		}
		if err != nil {
			return out, filesErrorf("%s: %v", displayPath(p), reason(err))
		}
		st.Present = true
		in, err := sealing.Inspect(st.File, b)
		if err != nil {
			st.Problems = append(st.Problems, err.Error())
			out.Secrets = append(out.Secrets, st)
			continue
		}
		st.Keys = in.Keys
		for _, k := range sec.Layout.KeyNames() {
			if !slices.Contains(in.Keys, k) {
				st.MissingKeys = append(st.MissingKeys, k)
			}
		}
		for _, k := range in.Keys {
			if !sec.Layout.Has(k) {
				st.ExtraKeys = append(st.ExtraKeys, k)
			}
		}
		st.Recipients, st.SealedWith = in.Recipients, in.SealedWith
		if !in.LastModified.IsZero() {
			st.LastSealed = in.LastModified.UTC().Format(time.RFC3339)
		}
		for _, f := range in.Findings {
			st.Problems = append(st.Problems, f.Message+" ["+string(f.Kind)+"]")
		}
		out.Secrets = append(out.Secrets, st)
	}
	return out, nil
}

func printStatus(a *app, all []envStatus) {
	for i, e := range all {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "environment %s (provider %s, %s):\n", e.Environment, e.Provider, e.Directory)
		for _, s := range e.Secrets {
			if !s.Present {
				fmt.Fprintf(a.stdout, "  %s: missing (no %s)\n", s.Name, s.File)
				continue
			}
			fmt.Fprintf(a.stdout, "  %s: present, keys %s\n", s.Name, orNone(s.Keys))
			if len(s.MissingKeys) > 0 {
				fmt.Fprintf(a.stdout, "    missing keys: %s\n", strings.Join(s.MissingKeys, ", "))
			}
			if len(s.ExtraKeys) > 0 {
				fmt.Fprintf(a.stdout, "    extra keys: %s\n", strings.Join(s.ExtraKeys, ", "))
			}
			if len(s.Recipients) > 0 {
				fmt.Fprintf(a.stdout, "    encrypted for: %s\n", strings.Join(s.Recipients, ", "))
			}
			if s.SealedWith != "" {
				fmt.Fprintf(a.stdout, "    sealed with: %s\n", s.SealedWith)
			}
			if s.LastSealed != "" {
				fmt.Fprintf(a.stdout, "    last sealed: %s\n", s.LastSealed)
			}
			for _, p := range s.Problems {
				fmt.Fprintf(a.stdout, "    problem: %s\n", p)
			}
		}
	}
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}
