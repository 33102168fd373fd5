package sealing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/decrypt"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func clock(minute int) func() time.Time {
	return func() time.Time { return time.Date(2026, 3, 1, 12, minute, 0, 0, time.UTC) }
}

// awkward holds keys and values that break naive encoders.
func awkward() *corev1.Secret {
	s := &corev1.Secret{
		Type: corev1.SecretTypeOpaque,
		StringData: map[string]string{
			"tls.crt":          "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			"spaces.value":     "  leading and trailing spaces  ",
			"quotes":           `she said "hi" and 'bye' \ # not a comment`,
			"unicode":          "pässwörd – 秘密 🔑",
			"yaml-ish":         "key: value\n- item\n---\n",
			"number":           "5432",
			"bool":             "true",
			"connection_uri_1": "postgresql://user:p%40ss@db:5432/airflow?sslmode=require",
		},
		Data: map[string][]byte{
			"binary": {0, 1, 2, 0xff, 0xfe, '\n'},
		},
	}
	s.Name, s.Namespace = "airflow-metadata", "ydp-prod"
	s.Labels = map[string]string{"app.kubernetes.io/part-of": "ydp"}
	return s
}

// plainValues is every value of a Secret as bytes, by key.
func plainValues(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out
}

func sameValues(t *testing.T, got, want *corev1.Secret) {
	t.Helper()
	g, w := plainValues(got), plainValues(want)
	if len(g) != len(w) {
		t.Fatalf("got keys %v, want %v", sortedKeys(g), sortedKeys(w))
	}
	for k, v := range w {
		if g[k] != v {
			t.Errorf("key %q: value differs after the round trip", k)
		}
	}
}

func TestSOPSRoundTrip(t *testing.T) {
	id := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	sec := awkward()
	out, err := s.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range plainValues(sec) {
		if len(v) > 3 && bytes.Contains(out, []byte(v)) {
			t.Fatalf("a value appears in clear in the sealed file:\n%s", out)
		}
	}
	for _, want := range []string{"encrypted_regex: ^(data|stringData)$", "name: airflow-metadata", "tls.crt: ENC[AES256_GCM,", "lastmodified: \"2026-03-01T12:00:00Z\""} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("sealed file lacks %q:\n%s", want, out)
		}
	}
	got, err := s.Decrypt("x.sops.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != sec.Name || got.Namespace != sec.Namespace || got.Type != sec.Type || got.Labels["app.kubernetes.io/part-of"] != "ydp" {
		t.Errorf("metadata changed: %+v", got.ObjectMeta)
	}
	sameValues(t, got, sec)

	in, err := Inspect("x.sops.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != FormatSOPS || !in.MAC || len(in.Findings) != 0 || in.Name != sec.Name ||
		strings.Join(in.Recipients, ",") != id.Recipient().String() || !in.LastModified.Equal(clock(0)()) ||
		in.EncryptedRegex != EncryptedRegex || in.SOPSVersion == "" {
		t.Errorf("inspection: %+v", in)
	}
	if strings.Join(in.Keys, ",") != strings.Join(sortedKeys(plainValues(sec)), ",") {
		t.Errorf("keys %v", in.Keys)
	}
}

// TestSOPSUpstreamDecrypt decrypts the sealed file with the SOPS
// library's public decrypt API, the path Flux's kustomize-controller
// takes, with the age identity in SOPS_AGE_KEY as Flux provides it.
func TestSOPSUpstreamDecrypt(t *testing.T) {
	id := newIdentity(t)
	other := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String(), other.Recipient().String()}}
	sec := awkward()
	out, err := s.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, who := range []*age.X25519Identity{id, other} {
		t.Setenv("SOPS_AGE_KEY", who.String())
		plain, err := decrypt.DataWithFormat(out, formats.Yaml)
		if err != nil {
			t.Fatalf("sops could not decrypt: %v", err)
		}
		var got corev1.Secret
		if err := yaml.UnmarshalStrict(plain, &got); err != nil {
			t.Fatalf("decrypted file is not a Secret: %v\n%s", err, plain)
		}
		sameValues(t, &got, sec)
	}
	t.Setenv("SOPS_AGE_KEY", newIdentity(t).String())
	if _, err := decrypt.DataWithFormat(out, formats.Yaml); err == nil {
		t.Error("a stranger's identity decrypted the file")
	}
}

// TestSOPSReadsUpstreamFiles seals a Secret the way the sops CLI does
// (plain YAML loaded by the store, EncryptTree, emitted) and checks that
// Inspect, Decrypt and Update read it.
func TestSOPSReadsUpstreamFiles(t *testing.T) {
	id := newIdentity(t)
	plain := []byte("apiVersion: v1\nkind: Secret\nmetadata:\n    name: broker\n    namespace: ydp-dev\ntype: Opaque\nstringData:\n    url: redis://:pw@redis:6379/0\n")
	branches, err := store().LoadPlainFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sopsage.MasterKeyFromRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		EncryptedRegex: EncryptedRegex, Version: "3.13.3", KeyGroups: []sops.KeyGroup{{key}},
	}}
	dataKey, errs := tree.GenerateDataKey()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{Tree: &tree, Cipher: aes.NewCipher(), DataKey: dataKey}); err != nil {
		t.Fatal(err)
	}
	file, err := store().EmitEncryptedFile(tree)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Inspect("broker.sops.yaml", file)
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "broker" || strings.Join(in.Keys, ",") != "url" || !in.MAC || len(in.Findings) != 0 {
		t.Errorf("inspection: %+v", in)
	}
	s := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(5)}
	got, err := s.Decrypt("broker.sops.yaml", file)
	if err != nil {
		t.Fatal(err)
	}
	if got.StringData["url"] != "redis://:pw@redis:6379/0" {
		t.Error("value differs")
	}
	res, err := s.Update("broker.sops.yaml", file, got, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || !bytes.Equal(res.File, file) {
		t.Error("an unchanged update rewrote a file sops wrote")
	}
}

func TestSOPSUpdateUnchangedIsByteIdentical(t *testing.T) {
	id := newIdentity(t)
	sealer := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	sec := awkward()
	file, err := sealer.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	sealer.Now = clock(30)
	for _, s := range []SOPS{sealer, {Recipients: sealer.Recipients, Now: clock(31)}} {
		res, err := s.Update("x.sops.yaml", file, awkward(), UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed || !bytes.Equal(res.File, file) {
			t.Errorf("identities %d: unchanged values rewrote the file", len(s.Identities))
		}
		if len(s.Identities) == 0 && len(res.Unverified) != len(plainValues(sec)) {
			t.Errorf("without an identity every key is unverified, got %v", res.Unverified)
		}
		if len(s.Identities) > 0 && len(res.Unverified) != 0 {
			t.Errorf("with an identity nothing is unverified, got %v", res.Unverified)
		}
	}
	// Listing recipients in another order or twice changes nothing.
	other := newIdentity(t)
	two := SOPS{Recipients: []string{other.Recipient().String(), id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	f2, err := two.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	two.Recipients = []string{id.Recipient().String(), " " + other.Recipient().String(), id.Recipient().String()}
	res, err := two.Update("x.sops.yaml", f2, sec, UpdateOptions{})
	if err != nil || res.Changed {
		t.Errorf("reordered recipients: changed %v, err %v", res.Changed, err)
	}
}

// changedLines returns the lines of b that a does not have at the same
// position; the files have the same line count when only values changed.
func changedLines(t *testing.T, a, b []byte) []string {
	t.Helper()
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	if len(al) != len(bl) {
		t.Fatalf("line count changed from %d to %d:\n%s\n---\n%s", len(al), len(bl), a, b)
	}
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, strings.TrimSpace(bl[i]))
		}
	}
	return out
}

func TestSOPSUpdateOneValueChangesOneEntry(t *testing.T) {
	id := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	file, err := s.Seal(awkward())
	if err != nil {
		t.Fatal(err)
	}
	next := awkward()
	next.StringData["unicode"] = "ein neues Passwort ✓"
	s.Now = clock(1)
	res, err := s.Update("x.sops.yaml", file, next, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Resealed || strings.Join(res.Replaced, ",") != "unicode" || len(res.Added)+len(res.Removed) != 0 {
		t.Fatalf("result: %+v", res)
	}
	lines := changedLines(t, file, res.File)
	var kinds []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		kinds = append(kinds, name)
	}
	if strings.Join(kinds, ",") != "unicode,lastmodified,mac" {
		t.Errorf("changed lines %q, want the entry, lastmodified and mac", kinds)
	}
	got, err := s.Decrypt("x.sops.yaml", res.File)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, got, next)

	// Adding a key adds its line; the other entries stay.
	next.StringData["new.key"] = "fresh"
	s.Now = clock(2)
	res2, err := s.Update("x.sops.yaml", res.File, next, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res2.Added, ",") != "new.key" {
		t.Errorf("added %v", res2.Added)
	}
	for _, l := range strings.Split(string(res.File), "\n") {
		if strings.Contains(l, "ENC[") && !strings.HasPrefix(strings.TrimSpace(l), "mac:") && !bytes.Contains(res2.File, []byte(l)) {
			t.Errorf("entry line changed when a key was added: %s", l)
		}
	}

	// Pruning drops a key; without Prune it is kept.
	delete(next.StringData, "quotes")
	res3, err := s.Update("x.sops.yaml", res2.File, next, UpdateOptions{})
	if err != nil || res3.Changed {
		t.Fatalf("without Prune a key the values lack is kept: %+v %v", res3, err)
	}
	res4, err := s.Update("x.sops.yaml", res2.File, next, UpdateOptions{Prune: true})
	if err != nil || strings.Join(res4.Removed, ",") != "quotes" {
		t.Fatalf("prune: %+v %v", res4, err)
	}
	got, err = s.Decrypt("x.sops.yaml", res4.File)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, got, next)
}

// TestSOPSSealEnvironmentTwice runs a seal step over two Secrets twice,
// the second time with one value changed: only that Secret's file moves.
func TestSOPSSealEnvironmentTwice(t *testing.T) {
	id := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	values := map[string]map[string]string{
		"airflow-metadata":   {"connection": "postgresql://a:b@db/airflow"},
		"airflow-fernet-key": {"fernet-key": "Zm9vYmFy"},
	}
	files := map[string][]byte{}
	for name, vals := range values {
		out, err := s.Seal(NewSecret(name, "ydp-dev", "", vals))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = out
	}
	values["airflow-fernet-key"]["fernet-key"] = "YmFyYmF6"
	s.Now = clock(10)
	for name, vals := range values {
		res, err := s.Update(name+".sops.yaml", files[name], NewSecret(name, "ydp-dev", "", vals), UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed != (name == "airflow-fernet-key") {
			t.Errorf("%s: changed %v", name, res.Changed)
		}
		if !res.Changed && !bytes.Equal(res.File, files[name]) {
			t.Errorf("%s: unchanged but rewritten", name)
		}
	}
}

func TestSOPSUpdateWithoutIdentity(t *testing.T) {
	id := newIdentity(t)
	full := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	file, err := full.Seal(awkward())
	if err != nil {
		t.Fatal(err)
	}
	blind := SOPS{Recipients: full.Recipients, Now: clock(9)}

	// A new key with only that key's value: the MAC needs the others.
	partial := NewSecret("airflow-metadata", "ydp-prod", corev1.SecretTypeOpaque, map[string]string{"extra": "x"})
	partial.Labels = awkward().Labels
	_, err = blind.Update("x.sops.yaml", file, partial, UpdateOptions{})
	var need *NeedKeyError
	if !errors.As(err, &need) || need.File != "x.sops.yaml" || !strings.Contains(err.Error(), "ydp-prod/airflow-metadata") {
		t.Fatalf("want a NeedKeyError naming file and Secret, got %v", err)
	}

	// Every value plus a new one: sealed anew.
	next := awkward()
	next.StringData["extra"] = "x"
	res, err := blind.Update("x.sops.yaml", file, next, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !res.Resealed || strings.Join(res.Added, ",") != "extra" || len(res.Unverified) != 0 {
		t.Errorf("result: %+v", res)
	}
	got, err := full.Decrypt("x.sops.yaml", res.File)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, got, next)

	// Replace without an identity reseals from the given values.
	res, err = blind.Update("x.sops.yaml", file, awkward(), UpdateOptions{Replace: []string{"quotes"}})
	if err != nil || !res.Resealed {
		t.Fatalf("replace: %+v %v", res, err)
	}
}

func TestSOPSRecipientsAndRotate(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	s := SOPS{Recipients: []string{a.Recipient().String()}, Identities: []string{a.String()}, Now: clock(0)}
	file, err := s.Seal(awkward())
	if err != nil {
		t.Fatal(err)
	}
	// New recipients without an identity and without every value.
	blind := SOPS{Recipients: []string{b.Recipient().String()}}
	partial := awkward()
	delete(partial.StringData, "quotes")
	var changed *KeysChangedError
	if _, err := blind.Update("x.sops.yaml", file, partial, UpdateOptions{}); !errors.As(err, &changed) {
		t.Fatalf("want KeysChangedError, got %v", err)
	}
	// Rotate to a and b: both decrypt; every value entry changes.
	s.Recipients = []string{a.Recipient().String(), b.Recipient().String()}
	s.Now = clock(1)
	rotated, err := s.Rotate("x.sops.yaml", file)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Inspect("x.sops.yaml", rotated)
	if err != nil || len(in.Recipients) != 2 {
		t.Fatalf("recipients after rotate: %v %v", in, err)
	}
	for _, id := range []*age.X25519Identity{a, b} {
		got, err := SOPS{Identities: []string{id.String()}}.Decrypt("x.sops.yaml", rotated)
		if err != nil {
			t.Fatal(err)
		}
		sameValues(t, got, awkward())
	}
	for _, l := range strings.Split(string(file), "\n") {
		if strings.Contains(l, "ENC[") && bytes.Contains(rotated, []byte(l)) {
			t.Errorf("entry kept its ciphertext through a rotation: %s", l)
		}
	}
	// Update with an identity follows a recipient change by itself.
	s.Recipients = []string{b.Recipient().String()}
	res, err := s.Update("x.sops.yaml", rotated, awkward(), UpdateOptions{})
	if err != nil || !res.Resealed {
		t.Fatalf("update to new recipients: %+v %v", res, err)
	}
	if _, err := (SOPS{Identities: []string{a.String()}}).Decrypt("x.sops.yaml", res.File); err == nil {
		t.Error("a removed recipient still decrypts")
	}
}

func TestSOPSTamperAndErrors(t *testing.T) {
	id := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String()}, Identities: []string{id.String()}, Now: clock(0)}
	sec := awkward()
	file, err := s.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	// Changing a clear field breaks the MAC, which covers every value.
	tampered := bytes.Replace(file, []byte("type: Opaque"), []byte("type: kubernetes.io/basic-auth"), 1)
	if _, err := s.Decrypt("x.sops.yaml", tampered); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Errorf("tampered file: %v", err)
	}
	// Only the identities given count, never the environment's.
	t.Setenv("SOPS_AGE_KEY", id.String())
	for _, ids := range [][]string{nil, {"# a comment, no key"}} {
		if _, err := (SOPS{Identities: ids}).Decrypt("x.sops.yaml", file); err == nil {
			t.Errorf("identities %q: decrypted with the key from SOPS_AGE_KEY", ids)
		}
	}
	// No error names a value.
	wrong := SOPS{Identities: []string{newIdentity(t).String()}}
	_, err1 := wrong.Decrypt("x.sops.yaml", file)
	_, err2 := SOPS{Identities: []string{"AGE-SECRET-KEY-1NOTAKEY"}}.Decrypt("x.sops.yaml", file)
	_, err3 := s.Seal(&corev1.Secret{})
	bad := awkward()
	bad.StringData["bad key/with slash"] = "topsecretvalue"
	_, err4 := s.Seal(bad)
	for _, err := range []error{err1, err2, err3, err4} {
		if err == nil {
			t.Fatal("want an error")
		}
		for _, v := range plainValues(bad) {
			if len(v) > 3 && strings.Contains(err.Error(), v) {
				t.Errorf("error shows a value: %v", err)
			}
		}
		if strings.Contains(err.Error(), "NOTAKEY") || strings.Contains(err.Error(), ".go:") {
			t.Errorf("error shows a key or a source position: %v", err)
		}
	}
}
