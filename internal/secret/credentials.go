package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Credentials are the admin credentials that sign management API calls.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// RandomString returns n characters drawn uniformly from alphabet with crypto/rand.
func RandomString(alphabet string, n int) string {
	return randomFrom(alphabet, n)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	// Rejection sampling keeps the distribution uniform.
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, n*2)
	i := 0
	for i < n {
		rand.Read(buf)
		for _, c := range buf {
			if int(c) >= limit {
				continue
			}
			b[i] = alphabet[int(c)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(b)
}

// NewCredentials mints AWS-shaped credentials: an "AKIA"-prefixed 20-character
// access key id and a 40-character secret.
func NewCredentials() Credentials {
	return Credentials{
		AccessKeyID:     "AKIA" + randomFrom(upperDigits, 16),
		SecretAccessKey: randomFrom(alnum, 40),
	}
}

// LoadOrCreateCredentials reads the admin credentials file at path, creating
// it (mode 0600) with fresh credentials when it does not exist. The file
// holds two lines in the AWS CLI's style:
//
//	aws_access_key_id = AKIA…
//	aws_secret_access_key = …
//
// created reports whether the file was just created.
func LoadOrCreateCredentials(path string) (c Credentials, created bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		c = NewCredentials()
		content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKeyID, c.SecretAccessKey)
		if err := writeNew(path, content); err != nil {
			return Credentials{}, false, err
		}
		return c, true, nil
	}
	if err != nil {
		return Credentials{}, false, fmt.Errorf("read admin credentials: %w", err)
	}
	for line := range strings.Lines(string(raw)) {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, false, fmt.Errorf("admin credentials %s: need aws_access_key_id and aws_secret_access_key", path)
	}
	return c, false, nil
}
