package upstreamtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"maps"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	ssv1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	sscrypto "github.com/bitnami/sealed-secrets/pkg/crypto"
	"github.com/ydpgen/ydpgen/sealing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"
)

// controllerKey makes what the controller has: an RSA key and a
// self-signed certificate for it, parsed as ydpgen parses the output of
// kubeseal --fetch-cert.
func controllerKey(t *testing.T) (*rsa.PrivateKey, *sealing.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sealed-secret"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sealing.ParseCertificate("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// secret holds values that break naive encoders, as string and binary
// data.
func secret() *corev1.Secret {
	s := &corev1.Secret{
		Type: corev1.SecretTypeOpaque,
		StringData: map[string]string{
			"tls.crt":      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			"spaces.value": "  leading and trailing spaces  ",
			"quotes":       `she said "hi" and 'bye' \ # not a comment`,
			"unicode":      "pässwörd – 秘密 🔑",
			"yaml-ish":     "key: value\n- item\n---\n",
			"empty":        "",
		},
		Data: map[string][]byte{
			"binary": {0, 1, 2, 0xff, 0xfe, '\n'},
		},
	}
	s.Name, s.Namespace = "airflow-metadata", "ydp-prod"
	s.Labels = map[string]string{"app.kubernetes.io/part-of": "ydp"}
	return s
}

// values is every value of a Secret, by key.
func values(s *corev1.Secret) map[string]string {
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
	g, w := values(got), values(want)
	if !slices.Equal(slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(w))) {
		t.Fatalf("keys %v, want %v", slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(w)))
	}
	for k, v := range w {
		if g[k] != v {
			t.Errorf("key %q: value differs after the round trip", k)
		}
	}
}

var upstreamScope = map[sealing.Scope]ssv1.SealingScope{
	"":                         ssv1.StrictScope,
	sealing.ScopeStrict:        ssv1.StrictScope,
	sealing.ScopeNamespaceWide: ssv1.NamespaceWideScope,
	sealing.ScopeClusterWide:   ssv1.ClusterWideScope,
}

// decode reads a file into the upstream SealedSecret type, refusing
// fields that type does not have.
func decode(t *testing.T, file []byte) *ssv1.SealedSecret {
	t.Helper()
	var ss ssv1.SealedSecret
	if err := yaml.UnmarshalStrict(file, &ss); err != nil {
		t.Fatalf("not an upstream SealedSecret: %v\n%s", err, file)
	}
	return &ss
}

// unseal is what the controller does with a SealedSecret.
func unseal(ss *ssv1.SealedSecret, key *rsa.PrivateKey) (*corev1.Secret, error) {
	return ss.Unseal(serializer.NewCodecFactory(runtime.NewScheme()), map[string]*rsa.PrivateKey{"k": key})
}

// TestSealUnsealUpstream seals with ydpgen and unseals with the
// controller's code in each scope; a copy under another name or in
// another namespace unseals only where the scope allows.
func TestSealUnsealUpstream(t *testing.T) {
	key, cert := controllerKey(t)
	for _, scope := range []sealing.Scope{"", sealing.ScopeStrict, sealing.ScopeNamespaceWide, sealing.ScopeClusterWide} {
		t.Run(string(scope), func(t *testing.T) {
			sec := secret()
			file, err := sealing.SealedSecrets{Certificate: cert, Scope: scope}.Seal(sec)
			if err != nil {
				t.Fatal(err)
			}
			ss := decode(t, file)
			up := upstreamScope[scope]
			if got := ss.Scope(); got != up {
				t.Errorf("upstream reads scope %s, want %s", got.String(), up.String())
			}
			got, err := unseal(ss, key)
			if err != nil {
				t.Fatalf("upstream unseal failed: %v", err)
			}
			if got.Name != sec.Name || got.Namespace != sec.Namespace || got.Type != sec.Type || got.Labels["app.kubernetes.io/part-of"] != "ydp" {
				t.Errorf("unsealed metadata: %+v type %s", got.ObjectMeta, got.Type)
			}
			sameValues(t, &corev1.Secret{Data: got.Data}, sec)

			// Each value on its own, with upstream's label for the scope.
			label := ssv1.EncryptionLabel(sec.Namespace, sec.Name, up)
			for k, v := range ss.Spec.EncryptedData {
				ct, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					t.Fatal(err)
				}
				plain, err := sscrypto.HybridDecrypt(rand.Reader, map[string]*rsa.PrivateKey{"k": key}, ct, label)
				if err != nil || string(plain) != values(sec)[k] {
					t.Errorf("key %q: upstream HybridDecrypt: %v", k, err)
				}
			}

			for _, move := range []struct {
				namespace, name string
				ok              bool
			}{
				{sec.Namespace, "renamed", up != ssv1.StrictScope},
				{"elsewhere", sec.Name, up == ssv1.ClusterWideScope},
			} {
				moved := decode(t, file)
				moved.Namespace, moved.Name = move.namespace, move.name
				if _, err := unseal(moved, key); (err == nil) != move.ok {
					t.Errorf("scope %s: unseal as %s/%s: err %v", up.String(), move.namespace, move.name, err)
				}
			}
		})
	}
}

// withUpstreamValues is file with every value of sec sealed anew by the
// controller's own HybridEncrypt, for the file's scope.
func withUpstreamValues(t *testing.T, file []byte, cert *rsa.PublicKey, sec *corev1.Secret, scope ssv1.SealingScope) []byte {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal(file, &obj); err != nil {
		t.Fatal(err)
	}
	enc := obj["spec"].(map[string]any)["encryptedData"].(map[string]any)
	label := ssv1.EncryptionLabel(sec.Namespace, sec.Name, scope)
	for k, v := range values(sec) {
		ct, err := sscrypto.HybridEncrypt(rand.Reader, cert, []byte(v), label)
		if err != nil {
			t.Fatal(err)
		}
		enc[k] = base64.StdEncoding.EncodeToString(ct)
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpdateReadsUpstreamValues has ydpgen open values the controller's
// code sealed: with the private key, Update verifies unchanged values and
// re-seals only a changed one.
func TestUpdateReadsUpstreamValues(t *testing.T) {
	key, cert := controllerKey(t)
	for _, scope := range []sealing.Scope{sealing.ScopeStrict, sealing.ScopeNamespaceWide, sealing.ScopeClusterWide} {
		t.Run(string(scope), func(t *testing.T) {
			s := sealing.SealedSecrets{Certificate: cert, Scope: scope, PrivateKeys: []*rsa.PrivateKey{key}}
			first, err := s.Seal(secret())
			if err != nil {
				t.Fatal(err)
			}
			file := withUpstreamValues(t, first, &key.PublicKey, secret(), upstreamScope[scope])

			res, err := s.Update("x.sealed.yaml", file, secret(), sealing.UpdateOptions{})
			if err != nil || res.Changed || !bytes.Equal(res.File, file) || len(res.Unverified) != 0 {
				t.Fatalf("unchanged values: %+v %v", res, err)
			}

			changed := secret()
			changed.StringData["quotes"] = "other"
			res, err = s.Update("x.sealed.yaml", file, changed, sealing.UpdateOptions{})
			if err != nil || !res.Changed || strings.Join(res.Replaced, ",") != "quotes" {
				t.Fatalf("one changed value: %+v %v", res, err)
			}
			before, after := decode(t, file), decode(t, res.File)
			for k, v := range before.Spec.EncryptedData {
				if (after.Spec.EncryptedData[k] == v) == (k == "quotes") {
					t.Errorf("key %q: ciphertext kept %v", k, after.Spec.EncryptedData[k] == v)
				}
			}
			got, err := unseal(after, key)
			if err != nil {
				t.Fatal(err)
			}
			sameValues(t, &corev1.Secret{Data: got.Data}, changed)
		})
	}

	// Values sealed for another name do not open under this one.
	s := sealing.SealedSecrets{Certificate: cert, PrivateKeys: []*rsa.PrivateKey{key}}
	first, err := s.Seal(secret())
	if err != nil {
		t.Fatal(err)
	}
	other := secret()
	other.Name = "renamed"
	file := withUpstreamValues(t, first, &key.PublicKey, other, ssv1.StrictScope)
	if _, err := s.Update("x.sealed.yaml", file, secret(), sealing.UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "does not unseal") {
		t.Errorf("values sealed for another name: %v", err)
	}
}

// TestUpdateThenUnsealUpstream: the files Update writes (a key added
// without the private key, a value replaced with it) still unseal with
// the controller's code.
func TestUpdateThenUnsealUpstream(t *testing.T) {
	key, cert := controllerKey(t)
	s := sealing.SealedSecrets{Certificate: cert}
	file, err := s.Seal(secret())
	if err != nil {
		t.Fatal(err)
	}
	next := secret()
	next.StringData["new.key"] = "new value"
	res, err := s.Update("x.sealed.yaml", file, next, sealing.UpdateOptions{})
	if err != nil || strings.Join(res.Added, ",") != "new.key" {
		t.Fatalf("add: %+v %v", res, err)
	}
	got, err := unseal(decode(t, res.File), key)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, &corev1.Secret{Data: got.Data}, next)

	changed := secret()
	changed.StringData["unicode"] = "ein neues Passwort ✓"
	withKey := sealing.SealedSecrets{Certificate: cert, PrivateKeys: []*rsa.PrivateKey{key}}
	res, err = withKey.Update("x.sealed.yaml", file, changed, sealing.UpdateOptions{})
	if err != nil || strings.Join(res.Replaced, ",") != "unicode" {
		t.Fatalf("replace: %+v %v", res, err)
	}
	got, err = unseal(decode(t, res.File), key)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, &corev1.Secret{Data: got.Data}, changed)
}

// TestInspectUpstreamSealedSecret reads, without keys, a SealedSecret
// made the way kubeseal makes one.
func TestInspectUpstreamSealedSecret(t *testing.T) {
	key, _ := controllerKey(t)
	for scope, up := range upstreamScope {
		if scope == "" {
			continue
		}
		sec := secret()
		sec.Data = map[string][]byte{"binary": sec.Data["binary"]}
		for k, v := range sec.StringData {
			sec.Data[k] = []byte(v)
		}
		sec.StringData = nil
		sec.Annotations = ssv1.UpdateScopeAnnotations(nil, up)
		ss, err := ssv1.NewSealedSecret(serializer.NewCodecFactory(runtime.NewScheme()), &key.PublicKey, sec)
		if err != nil {
			t.Fatal(err)
		}
		ss.APIVersion, ss.Kind = "bitnami.com/v1alpha1", "SealedSecret"
		file, err := yaml.Marshal(ss)
		if err != nil {
			t.Fatal(err)
		}
		in, err := sealing.Inspect("x.sealed.yaml", file)
		if err != nil {
			t.Fatal(err)
		}
		if in.Format != sealing.FormatSealedSecrets || in.Scope != scope || in.Name != sec.Name || in.Namespace != sec.Namespace ||
			len(in.Findings) != 0 || !slices.Equal(in.Keys, slices.Sorted(maps.Keys(sec.Data))) {
			t.Errorf("%s: inspection %+v", scope, in)
		}
	}
}
