package postgres

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Pagination tokens have the format of store/sqlite's (position.go there):
// an engine may not import another, and the format is two short functions.

// positionPrefix versions the pagination token format.
const positionPrefix = "v1:"

// encodePosition returns the token of the page that follows the row with
// the given seq.
func encodePosition(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(positionPrefix + strconv.FormatInt(seq, 10)))
}

// decodePosition returns the seq after which a page starts: 0 for "", the
// seq encoded by encodePosition otherwise. Any other token is an error
// wrapping store.ErrBadPosition.
func decodePosition(pos string) (int64, error) {
	if pos == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(pos)
	if err != nil {
		return 0, fmt.Errorf("position: not base64url: %w", store.ErrBadPosition)
	}
	digits, ok := strings.CutPrefix(string(b), positionPrefix)
	if !ok {
		return 0, fmt.Errorf("position: unknown format: %w", store.ErrBadPosition)
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq <= 0 {
		return 0, fmt.Errorf("position: bad sequence number: %w", store.ErrBadPosition)
	}
	// Only the one spelling encodePosition produces is accepted (the
	// decoder skips newlines, for one).
	if encodePosition(seq) != pos {
		return 0, fmt.Errorf("position: not in canonical form: %w", store.ErrBadPosition)
	}
	return seq, nil
}
