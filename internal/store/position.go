package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Pagination tokens (Page.Position) are the same for every engine: the
// engine's sequence number of the last row of a page, versioned and
// base64url-encoded.

// positionPrefix versions the pagination token format.
const positionPrefix = "v1:"

// EncodePosition returns the token of the page that follows the row with
// the given seq.
func EncodePosition(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(positionPrefix + strconv.FormatInt(seq, 10)))
}

// DecodePosition returns the seq after which a page starts: 0 for "", the
// seq encoded by EncodePosition otherwise. Any other token is an error
// wrapping ErrBadPosition.
func DecodePosition(pos string) (int64, error) {
	if pos == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(pos)
	if err != nil {
		return 0, fmt.Errorf("position: not base64url: %w", ErrBadPosition)
	}
	digits, ok := strings.CutPrefix(string(b), positionPrefix)
	if !ok {
		return 0, fmt.Errorf("position: unknown format: %w", ErrBadPosition)
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq <= 0 {
		return 0, fmt.Errorf("position: bad sequence number: %w", ErrBadPosition)
	}
	// Only the one spelling EncodePosition produces is accepted (the
	// decoder skips newlines, for one).
	if EncodePosition(seq) != pos {
		return 0, fmt.Errorf("position: not in canonical form: %w", ErrBadPosition)
	}
	return seq, nil
}
