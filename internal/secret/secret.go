package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Keys are the keys derived from the server secret.
type Keys struct {
	hmacKey []byte
	aead    cipher.AEAD
	hashes  sync.Pool // of hash.Hash (HMAC-SHA256 under hmacKey)
	check   string    // CheckValue
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
	ck, err := hkdf.Key(sha256.New, serverSecret, nil, checkLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("derive check value: %w", err)
	}
	block, err := aes.NewCipher(ek)
	if err != nil {
		return nil, fmt.Errorf("sealing cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing cipher: %w", err)
	}
	k := &Keys{hmacKey: hk, aead: aead, check: checkPrefix + hex.EncodeToString(ck)}
	k.hashes.New = func() any { return hmac.New(sha256.New, k.hmacKey) }
	return k, nil
}

// The check value is derived under its own HKDF label, so it reveals
// nothing about the secret or the other derived keys.
const (
	checkLabel  = "gatehouse server secret check v1"
	checkPrefix = "v1:"
)

// CheckValue returns a value derived from the server secret that a store
// keeps to recognise the secret its keys were made with: equal secrets
// give equal check values. It is safe to store and to show; it is not a
// key.
func (k *Keys) CheckValue() string { return k.check }

// Matches reports whether check is this secret's CheckValue.
func (k *Keys) Matches(check string) bool {
	return subtle.ConstantTimeCompare([]byte(check), []byte(k.check)) == 1
}

// Load reads the server secret file at path (hex text). A missing file is
// an error that matches fs.ErrNotExist; Load never creates one (Create
// does), so that a lost secret is noticed rather than replaced.
func Load(path string) (*Keys, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	s, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("server secret %s: not hex: %w", path, err)
	}
	return New(s)
}

// Create writes a fresh random server secret to a new file at path (mode
// 0600, synced to disk before Create returns) and returns its keys. It
// fails if the file exists.
func Create(path string) (*Keys, error) {
	s := make([]byte, secretLen)
	rand.Read(s)
	if err := writeNew(path, hex.EncodeToString(s)+"\n"); err != nil {
		return nil, err
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

// writeNew creates the file path with content, mode 0600, failing if it
// exists. The content is written to a temporary file, synced, then linked
// into place and the directory synced: a crash leaves either no file or
// the whole one, never a truncated secret, and once writeNew returns the
// file survives a power loss.
func writeNew(path, content string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(content)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// os.CreateTemp makes the file 0600; a link, unlike a rename, fails
	// when path exists.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
