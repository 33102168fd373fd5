package sealing

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"
	"testing/iotest"
)

func TestHybridRoundTrip(t *testing.T) {
	key, _ := controllerKey(t)
	other, _ := controllerKey(t)
	plain := []byte("pässwörd\x00\xff with a NUL")
	label := []byte("ns/name")

	sealed, err := hybridSeal(rand.Reader, &key.PublicKey, plain, label)
	if err != nil {
		t.Fatal(err)
	}
	// The framing: a 2-byte length, the RSA ciphertext (the modulus
	// size), then the GCM ciphertext with its 16-byte tag.
	if n := int(binary.BigEndian.Uint16(sealed)); n != key.Size() || len(sealed) != 2+n+len(plain)+16 {
		t.Fatalf("framing: prefix %d, length %d for a %d-byte key and %d-byte value", n, len(sealed), key.Size(), len(plain))
	}
	if !looksSealed(base64.StdEncoding.EncodeToString(sealed)) {
		t.Error("Inspect would not take the output for a sealed value")
	}
	if bytes.Contains(sealed, plain) {
		t.Error("the value is in the output")
	}
	again, err := hybridSeal(rand.Reader, &key.PublicKey, plain, label)
	if err != nil || bytes.Equal(again, sealed) {
		t.Errorf("sealing twice gave the same bytes (err %v)", err)
	}

	got, err := hybridOpen([]*rsa.PrivateKey{key}, sealed, label)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q, %v", got, err)
	}
	// Keys are tried in turn, as after a rotation of the sealing key.
	if got, err := hybridOpen([]*rsa.PrivateKey{other, key}, sealed, label); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("open with the right key second: %q, %v", got, err)
	}
	// An empty value seals too (the tag alone).
	empty, err := hybridSeal(rand.Reader, &key.PublicKey, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hybridOpen([]*rsa.PrivateKey{key}, empty, []byte{}); err != nil || len(got) != 0 {
		t.Errorf("empty value: %q, %v", got, err)
	}
}

func TestHybridOpenRefuses(t *testing.T) {
	key, _ := controllerKey(t)
	other, _ := controllerKey(t)
	plain := []byte("s3cr3t")
	sealed, err := hybridSeal(rand.Reader, &key.PublicKey, plain, []byte("ns/name"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	for name, tc := range map[string]struct {
		keys   []*rsa.PrivateKey
		sealed []byte
		label  string
	}{
		"other key":        {[]*rsa.PrivateKey{other}, sealed, "ns/name"},
		"no key":           {nil, sealed, "ns/name"},
		"other name":       {[]*rsa.PrivateKey{key}, sealed, "ns/renamed"},
		"namespace label":  {[]*rsa.PrivateKey{key}, sealed, "ns"},
		"cluster label":    {[]*rsa.PrivateKey{key}, sealed, ""},
		"RSA part altered": {[]*rsa.PrivateKey{key}, flip(10), "ns/name"},
		"GCM part altered": {[]*rsa.PrivateKey{key}, flip(len(sealed) - 20), "ns/name"},
		"tag altered":      {[]*rsa.PrivateKey{key}, flip(len(sealed) - 1), "ns/name"},
		"truncated":        {[]*rsa.PrivateKey{key}, sealed[:2+key.Size()+3], "ns/name"},
		"RSA part cut":     {[]*rsa.PrivateKey{key}, sealed[:100], "ns/name"},
		"one byte":         {[]*rsa.PrivateKey{key}, sealed[:1], "ns/name"},
		"empty":            {[]*rsa.PrivateKey{key}, nil, "ns/name"},
		"length too large": {[]*rsa.PrivateKey{key}, append([]byte{0xff, 0xff}, sealed[2:]...), "ns/name"},
		"length too small": {[]*rsa.PrivateKey{key}, append([]byte{0, 1}, sealed[2:]...), "ns/name"},
	} {
		got, err := hybridOpen(tc.keys, tc.sealed, []byte(tc.label))
		if err == nil {
			t.Errorf("%s: opened to %q", name, got)
			continue
		}
		if strings.Contains(err.Error(), string(plain)) {
			t.Errorf("%s: the error names the value: %v", name, err)
		}
	}
}

func TestHybridSealErrors(t *testing.T) {
	key, _ := controllerKey(t)
	// No randomness, no session key.
	if _, err := hybridSeal(iotest.ErrReader(errors.New("no entropy")), &key.PublicKey, []byte("v"), nil); err == nil {
		t.Error("sealed without randomness")
	}
	// A 512-bit modulus: too small for OAEP with SHA-256 to wrap 32 bytes.
	small := &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 511), big.NewInt(1)), E: 65537}
	if _, err := hybridSeal(rand.Reader, small, []byte("v"), nil); err == nil {
		t.Error("sealed with a 512-bit key")
	}
}
