package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"
	"sync"
)

// Keys are the keys derived from the server secret.
type Keys struct {
	hmacKey []byte
	aead    cipher.AEAD
	hashes  sync.Pool // of hash.Hash (HMAC-SHA256 under hmacKey)
}

// secretLen is the server secret's length in bytes.
const secretLen = 32

// New derives the keys from a server secret of at least 32 bytes.
func New(serverSecret []byte) (*Keys, error) {
	if len(serverSecret) < secretLen {
		return nil, fmt.Errorf("server secret: %d bytes, need at least %d", len(serverSecret), secretLen)
	}
	hk, err := hkdf.Key(sha256.New, serverSecret, nil, "gatehouse api key lookup v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive lookup key: %w", err)
	}
	ek, err := hkdf.Key(sha256.New, serverSecret, nil, "gatehouse api key sealing v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(ek)
	if err != nil {
		return nil, fmt.Errorf("sealing cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing cipher: %w", err)
	}
	k := &Keys{hmacKey: hk, aead: aead}
	k.hashes.New = func() any { return hmac.New(sha256.New, k.hmacKey) }
	return k, nil
}

// LoadOrCreate reads the server secret file at path (hex text), creating it
// with a fresh random secret (mode 0600) when it does not exist.
func LoadOrCreate(path string) (*Keys, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		s := make([]byte, secretLen)
		rand.Read(s)
		if err := writeNew(path, hex.EncodeToString(s)+"\n"); err != nil {
			return nil, err
		}
		return New(s)
	}
	if err != nil {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	s, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("server secret %s: not hex: %w", path, err)
	}
	return New(s)
}

// LookupHash returns the keyed hash that finds an API key by its value.
// It is safe for concurrent use and allocates only its result.
func (k *Keys) LookupHash(value string) []byte {
	return k.AppendLookupHash(nil, value)
}

// AppendLookupHash appends the lookup hash of value to dst.
func (k *Keys) AppendLookupHash(dst []byte, value string) []byte {
	h := k.hashes.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(value))
	dst = h.Sum(dst)
	k.hashes.Put(h)
	return dst
}

// AppendLookupHashBytes is AppendLookupHash for a value held in a byte
// slice: the data plane hashes the presented key without allocating.
func (k *Keys) AppendLookupHashBytes(dst, value []byte) []byte {
	h := k.hashes.Get().(hash.Hash)
	h.Reset()
	h.Write(value)
	dst = h.Sum(dst)
	k.hashes.Put(h)
	return dst
}

// Seal encrypts a key value, bound to the key's id.
func (k *Keys) Seal(keyID, value string) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(value)+k.aead.Overhead())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(value), []byte(keyID))
}

// ErrUnseal means a sealed value could not be decrypted (wrong secret,
// wrong key id, or corruption).
var ErrUnseal = errors.New("cannot decrypt sealed key value")

// Open decrypts a value sealed for keyID.
func (k *Keys) Open(keyID string, sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", ErrUnseal
	}
	v, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(keyID))
	if err != nil {
		return "", ErrUnseal
	}
	return string(v), nil
}

func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
