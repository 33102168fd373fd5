package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The value format of a SealedSecret's spec.encryptedData, written here
// rather than imported: the Sealed Secrets module cannot be required
// without a replace directive, and a replace in ydpgen's go.mod would
// break `go install github.com/ydpgen/ydpgen/cmd/ydpgen@version`. The
// nested module sealing/upstreamtest checks this code against the
// controller's own.
//
// Each value is sealed on its own with a fresh AES-256 key. That key is
// encrypted with RSA-OAEP (SHA-256 for both the hash and MGF1) under the
// controller's public key, with the scope's label as the OAEP label, so
// the controller can recover it only when it unseals the value for the
// namespace and name the label names. The value itself is encrypted with
// AES-GCM under that key; as the key encrypts exactly one message, the
// 12-byte nonce is all zeros. The sealed bytes are
//
//	uint16 big-endian n | n bytes of RSA-OAEP ciphertext | GCM ciphertext and 16-byte tag
//
// and the file holds them in standard base64.

// sessionKeyLen is the AES-256 key length in bytes.
const sessionKeyLen = 32

// errSealedFraming is returned for bytes that cannot be a sealed value.
var errSealedFraming = errors.New("not a sealed value: too short for its length prefix")

// gcmFor returns AES-GCM under key, with the standard 12-byte nonce.
func gcmFor(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// hybridSeal encrypts plaintext for pub, bound to label, reading the
// session key and the OAEP seed from rnd.
func hybridSeal(rnd io.Reader, pub *rsa.PublicKey, plaintext, label []byte) ([]byte, error) {
	key := make([]byte, sessionKeyLen)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("no random session key: %w", err)
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rnd, pub, key, label)
	if err != nil {
		return nil, err
	}
	if len(wrapped) > math.MaxUint16 {
		return nil, fmt.Errorf("the RSA key is too large for the sealed format (%d-byte ciphertext)", len(wrapped))
	}
	aead, err := gcmFor(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 2, 2+len(wrapped)+len(plaintext)+aead.Overhead())
	binary.BigEndian.PutUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	nonce := make([]byte, aead.NonceSize())
	return aead.Seal(out, nonce, plaintext, nil), nil
}

// hybridOpen decrypts what hybridSeal produced, trying each key in turn
// as the controller does after a key rotation. Any failure (wrong key,
// wrong label, altered bytes) is one error that says nothing about the
// value.
func hybridOpen(keys []*rsa.PrivateKey, sealed, label []byte) ([]byte, error) {
	if len(sealed) < 2 {
		return nil, errSealedFraming
	}
	n := int(binary.BigEndian.Uint16(sealed))
	if len(sealed) < 2+n {
		return nil, errSealedFraming
	}
	wrapped, body := sealed[2:2+n], sealed[2+n:]
	for _, k := range keys {
		key, err := rsa.DecryptOAEP(sha256.New(), nil, k, wrapped, label)
		if err != nil || len(key) != sessionKeyLen {
			continue
		}
		aead, err := gcmFor(key)
		if err != nil {
			continue
		}
		plain, err := aead.Open(nil, make([]byte, aead.NonceSize()), body, nil)
		if err != nil {
			continue
		}
		return plain, nil
	}
	return nil, errors.New("no given private key unseals the value under its scope")
}
