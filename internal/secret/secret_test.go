package secret

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysRoundTripAndBinding(t *testing.T) {
	k, err := Create(filepath.Join(t.TempDir(), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	const value = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
	sealed := k.Seal("key1", value)
	if bytes.Contains(sealed, []byte(value)) || bytes.Contains(sealed, []byte(value[:8])) {
		t.Fatalf("sealed value contains plaintext")
	}
	got, err := k.Open("key1", sealed)
	if err != nil || got != value {
		t.Fatalf("Open = %q, %v; want the value", got, err)
	}
	if _, err := k.Open("key2", sealed); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Open with another key id = %v, want ErrUnseal", err)
	}
	h1, h2 := k.LookupHash(value), k.LookupHash(value)
	if !bytes.Equal(h1, h2) || len(h1) != 32 {
		t.Fatalf("lookup hash not stable: %x %x", h1, h2)
	}
	if bytes.Equal(h1, k.LookupHash(value+"x")) {
		t.Fatal("different values share a lookup hash")
	}
}

func TestCreateAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("Load created the file")
	}
	k1, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := Create(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file = %v, want fs.ErrExist", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the secret (no temporary file left)", len(entries))
	}
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1.LookupHash("v"), k2.LookupHash("v")) {
		t.Fatal("reloaded secret derives different keys")
	}
	if k1.CheckValue() != k2.CheckValue() || !k2.Matches(k1.CheckValue()) {
		t.Fatal("reloaded secret has another check value")
	}
	other, err := Create(filepath.Join(t.TempDir(), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(k1.LookupHash("v"), other.LookupHash("v")) {
		t.Fatal("two fresh secrets derive the same keys")
	}
	if other.Matches(k1.CheckValue()) || other.CheckValue() == k1.CheckValue() {
		t.Fatal("two fresh secrets have the same check value")
	}
	if _, err := other.Open("id", k1.Seal("id", "value")); !errors.Is(err, ErrUnseal) {
		t.Fatalf("open under another secret = %v, want ErrUnseal", err)
	}
}

// TestCheckValue: the check value is derived under its own label: it is
// neither the secret nor one of the keys derived from it, and it is fixed
// for a given secret (stores keep it across versions).
func TestCheckValue(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	k, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	const want = "v1:"
	got := k.CheckValue()
	if !strings.HasPrefix(got, want) || len(got) != len(want)+64 {
		t.Fatalf("CheckValue = %q, want v1: and 32 bytes in hex", got)
	}
	raw, _ := hex.DecodeString(got[len(want):])
	for name, b := range map[string][]byte{"the secret": secret, "the lookup key": k.hmacKey} {
		if bytes.Equal(raw, b) {
			t.Errorf("the check value is %s", name)
		}
	}
	// HKDF-SHA256(secret, no salt, "gatehouse server secret check v1"),
	// computed independently (Python's hmac): a change here would make
	// every existing store refuse its own secret.
	if golden := "v1:ba09a2bfe6640be455b3c6cbb55222cdfcc4e07ac4950075bbc3bfd218230d9c"; got != golden {
		t.Errorf("CheckValue = %q, want %q", got, golden)
	}
}

func TestCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin-credentials")
	c, created, err := LoadOrCreateCredentials(path)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	if !strings.HasPrefix(c.AccessKeyID, "AKIA") || len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 {
		t.Fatalf("bad shape: %q / %d chars", c.AccessKeyID, len(c.SecretAccessKey))
	}
	again, created, err := LoadOrCreateCredentials(path)
	if err != nil || created || again != c {
		t.Fatalf("reload = %+v created=%v err=%v", again, created, err)
	}
	if err := os.WriteFile(path, []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCredentials(path); err == nil || !strings.Contains(err.Error(), "aws_access_key_id") {
		t.Fatalf("malformed file error = %v", err)
	}
}

func TestRandomString(t *testing.T) {
	s := RandomString(alnum, 40)
	if len(s) != 40 || strings.Trim(s, alnum) != "" {
		t.Fatalf("RandomString = %q", s)
	}
	if s == RandomString(alnum, 40) {
		t.Fatal("two random strings are equal")
	}
}

func TestLookupHashBytesMatchesStringWithoutAllocating(t *testing.T) {
	k, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	v := "abcdefghijklmnopqrstuvwxyz0123456789ABCD"
	var buf [32]byte
	got := k.AppendLookupHashBytes(buf[:0], []byte(v))
	if !bytes.Equal(got, k.LookupHash(v)) {
		t.Fatal("byte and string lookup hashes differ")
	}
	if raceEnabled {
		return // the race detector's instrumentation allocates
	}
	b := []byte(v)
	if n := testing.AllocsPerRun(100, func() { k.AppendLookupHashBytes(buf[:0], b) }); n != 0 {
		t.Fatalf("AppendLookupHashBytes allocates %v times", n)
	}
}
