package sealing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// controllerKey makes what the controller has: an RSA key and a
// self-signed certificate for it, as PEM.
func controllerKey(t *testing.T) (*rsa.PrivateKey, []byte) {
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
	return key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// unsealFile reads a SealedSecret the way the controller does: the scope
// from its annotations, then every value with hybridOpen under the label
// of the file's namespace and name. The nested module sealing/upstreamtest
// does the same with the controller's own code.
func unsealFile(t *testing.T, file []byte, key *rsa.PrivateKey) *corev1.Secret {
	t.Helper()
	var ss sealedSecret
	if err := yaml.UnmarshalStrict(file, &ss); err != nil {
		t.Fatalf("not a SealedSecret: %v\n%s", err, file)
	}
	sec, err := unsealObject(&ss, key)
	if err != nil {
		t.Fatalf("unseal failed: %v", err)
	}
	return sec
}

func unsealObject(ss *sealedSecret, key *rsa.PrivateKey) (*corev1.Secret, error) {
	label := scopeOf(ss.Metadata.Annotations).label(ss.Metadata.Namespace, ss.Metadata.Name)
	sec := &corev1.Secret{Type: ss.Spec.Template.Type, Data: map[string][]byte{}}
	sec.Name, sec.Namespace = ss.Metadata.Name, ss.Metadata.Namespace
	sec.Labels = ss.Spec.Template.Metadata.Labels
	for k, v := range ss.Spec.EncryptedData {
		ct, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, err
		}
		plain, err := hybridOpen([]*rsa.PrivateKey{key}, ct, label)
		if err != nil {
			return nil, err
		}
		sec.Data[k] = plain
	}
	return sec, nil
}

func TestSealedRoundTrip(t *testing.T) {
	key, certPEM := controllerKey(t)
	cert, err := ParseCertificate("cert.pem", certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cert.Fingerprint, "sha256:") || len(cert.Fingerprint) != len("sha256:")+64 {
		t.Errorf("fingerprint %q", cert.Fingerprint)
	}
	for _, scope := range []Scope{"", ScopeStrict, ScopeNamespaceWide, ScopeClusterWide} {
		t.Run(string(scope), func(t *testing.T) {
			sec := awkward()
			file, err := SealedSecrets{Certificate: cert, Scope: scope}.Seal(sec)
			if err != nil {
				t.Fatal(err)
			}
			got := unsealFile(t, file, key)
			if got.Type != sec.Type || got.Labels["app.kubernetes.io/part-of"] != "ydp" {
				t.Errorf("unsealed metadata: %+v type %s", got.ObjectMeta, got.Type)
			}
			sameValues(t, &corev1.Secret{Data: got.Data}, sec)

			// The label binds the value: a renamed or moved copy does not
			// unseal unless the scope allows it.
			want := scope
			if want == "" {
				want = ScopeStrict
			}
			for _, move := range []struct {
				namespace, name string
				ok              bool
			}{
				{sec.Namespace, "renamed", want != ScopeStrict},
				{"elsewhere", sec.Name, want == ScopeClusterWide},
			} {
				var ss sealedSecret
				if err := yaml.Unmarshal(file, &ss); err != nil {
					t.Fatal(err)
				}
				ss.Metadata.Namespace, ss.Metadata.Name = move.namespace, move.name
				if _, err := unsealObject(&ss, key); (err == nil) != move.ok {
					t.Errorf("scope %s: unseal as %s/%s: err %v", want, move.namespace, move.name, err)
				}
			}

			in, err := Inspect("x.sealed.yaml", file)
			if err != nil {
				t.Fatal(err)
			}
			if in.Format != FormatSealedSecrets || in.Scope != want || in.SealedWith != cert.Fingerprint ||
				in.Name != sec.Name || in.Namespace != sec.Namespace || len(in.Findings) != 0 ||
				strings.Join(in.Keys, ",") != strings.Join(sortedKeys(plainValues(sec)), ",") {
				t.Errorf("inspection: %+v", in)
			}
		})
	}
}

// TestSealedLabels pins the OAEP labels of the three scopes (the nested
// module sealing/upstreamtest checks them against the controller's).
func TestSealedLabels(t *testing.T) {
	for scope, want := range map[Scope]string{
		"": "ns/name", ScopeStrict: "ns/name", ScopeNamespaceWide: "ns", ScopeClusterWide: "",
	} {
		if got := scope.label("ns", "name"); string(got) != want {
			t.Errorf("%q: label %q, want %q", scope, got, want)
		}
	}
}

func TestSealedUpdate(t *testing.T) {
	key, certPEM := controllerKey(t)
	cert, err := ParseCertificate("cert.pem", certPEM)
	if err != nil {
		t.Fatal(err)
	}
	s := SealedSecrets{Certificate: cert}
	file, err := s.Seal(awkward())
	if err != nil {
		t.Fatal(err)
	}

	// Same values, no private key: unchanged, every key unverified.
	res, err := s.Update("x.sealed.yaml", file, awkward(), UpdateOptions{})
	if err != nil || res.Changed || !bytes.Equal(res.File, file) || len(res.Unverified) != len(plainValues(awkward())) {
		t.Fatalf("unchanged without key: %+v %v", res, err)
	}
	// Same values, with the private key: unchanged, all verified.
	withKey := SealedSecrets{Certificate: cert, PrivateKeys: []*rsa.PrivateKey{key}}
	res, err = withKey.Update("x.sealed.yaml", file, awkward(), UpdateOptions{})
	if err != nil || res.Changed || !bytes.Equal(res.File, file) || len(res.Unverified) != 0 {
		t.Fatalf("unchanged with key: %+v %v", res, err)
	}

	// A new key, no private key needed: only its line is new.
	next := awkward()
	next.StringData["new.key"] = "new value"
	res, err = s.Update("x.sealed.yaml", file, next, UpdateOptions{})
	if err != nil || !res.Changed || strings.Join(res.Added, ",") != "new.key" {
		t.Fatalf("add: %+v %v", res, err)
	}
	if added := addedLines(file, res.File); len(added) != 1 || !strings.HasPrefix(added[0], "new.key: ") {
		t.Errorf("adding a key changed lines %q", added)
	}
	sameValues(t, &corev1.Secret{Data: unsealFile(t, res.File, key).Data}, next)

	// One changed value, with the private key: only that entry changes.
	changed := awkward()
	changed.StringData["quotes"] = "other"
	res, err = withKey.Update("x.sealed.yaml", file, changed, UpdateOptions{})
	if err != nil || strings.Join(res.Replaced, ",") != "quotes" {
		t.Fatalf("replace: %+v %v", res, err)
	}
	if lines := changedLines(t, file, res.File); len(lines) != 1 || !strings.HasPrefix(lines[0], "quotes: ") {
		t.Errorf("changed lines %q", lines)
	}
	sameValues(t, &corev1.Secret{Data: unsealFile(t, res.File, key).Data}, changed)

	// Without the private key the change is seen only when asked for.
	res, err = s.Update("x.sealed.yaml", file, changed, UpdateOptions{})
	if err != nil || res.Changed {
		t.Fatalf("unverifiable change rewrote the file: %+v %v", res, err)
	}
	res, err = s.Update("x.sealed.yaml", file, changed, UpdateOptions{Replace: []string{"quotes"}})
	if err != nil || !res.Changed || len(changedLines(t, file, res.File)) != 1 {
		t.Fatalf("replace on request: %+v %v", res, err)
	}

	// Prune.
	fewer := awkward()
	delete(fewer.StringData, "number")
	res, err = s.Update("x.sealed.yaml", file, fewer, UpdateOptions{Prune: true})
	if err != nil || strings.Join(res.Removed, ",") != "number" || bytes.Contains(res.File, []byte("number:")) {
		t.Fatalf("prune: %+v %v", res, err)
	}

	// Another certificate: a partial update cannot mix certificates…
	_, otherPEM := controllerKey(t)
	other, err := ParseCertificate("other.pem", otherPEM)
	if err != nil {
		t.Fatal(err)
	}
	var kc *KeysChangedError
	if _, err := (SealedSecrets{Certificate: other}).Update("x.sealed.yaml", file, fewer, UpdateOptions{}); !errors.As(err, &kc) {
		t.Fatalf("want KeysChangedError, got %v", err)
	}
	// …but every value reseals it for the new certificate.
	res, err = SealedSecrets{Certificate: other}.Update("x.sealed.yaml", file, awkward(), UpdateOptions{})
	if err != nil || !res.Resealed {
		t.Fatalf("reseal for a new certificate: %+v %v", res, err)
	}
	if in, _ := Inspect("x", res.File); in.SealedWith != other.Fingerprint {
		t.Errorf("sealed-with %q", in.SealedWith)
	}
}

// addedLines returns the lines of b that a lacks.
func addedLines(a, b []byte) []string {
	have := map[string]bool{}
	for _, l := range strings.Split(string(a), "\n") {
		have[l] = true
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if !have[l] {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func TestParseCertificateErrors(t *testing.T) {
	key, certPEM := controllerKey(t)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	for name, in := range map[string][]byte{"empty": nil, "key only": keyPEM, "garbage": []byte("not pem")} {
		if _, err := ParseCertificate("cert.pem", in); err == nil || !strings.HasPrefix(err.Error(), "cert.pem: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A key file with the certificate before the key.
	if _, err := ParseCertificate("both.pem", append(keyPEM, certPEM...)); err != nil {
		t.Error(err)
	}
	keys, err := ParsePrivateKeys("key.pem", keyPEM)
	if err != nil || len(keys) != 1 || !keys[0].Equal(key) {
		t.Errorf("private keys: %v", err)
	}
}
