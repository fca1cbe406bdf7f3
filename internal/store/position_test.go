package store

import (
	"errors"
	"testing"
)

func TestPosition(t *testing.T) {
	for _, seq := range []int64{1, 7, 1 << 40} {
		got, err := DecodePosition(EncodePosition(seq))
		if err != nil || got != seq {
			t.Errorf("decode(encode(%d)) = %d, %v", seq, got, err)
		}
	}
	if got, err := DecodePosition(""); got != 0 || err != nil {
		t.Errorf(`decode("") = %d, %v; want 0, nil`, got, err)
	}
	for _, bad := range []string{
		"x", "djE6", "djE6MA", "djE6LTE", "djE6MDE", "djI6NQ", "djE6NQ==", "djE6N0", "djE6OTIyMzM3MjAzNjg1NDc3NTgwOA",
	} {
		if _, err := DecodePosition(bad); !errors.Is(err, ErrBadPosition) {
			t.Errorf("decode(%q) error = %v, want ErrBadPosition", bad, err)
		}
	}
}

// FuzzDecodePosition: DecodePosition accepts exactly the tokens
// EncodePosition makes (and ""); anything else wraps ErrBadPosition.
func FuzzDecodePosition(f *testing.F) {
	f.Add("")
	f.Add(EncodePosition(42))
	f.Fuzz(func(t *testing.T, pos string) {
		seq, err := DecodePosition(pos)
		switch {
		case err != nil:
			if !errors.Is(err, ErrBadPosition) {
				t.Fatalf("decode(%q) error %v does not wrap ErrBadPosition", pos, err)
			}
		case pos == "":
			if seq != 0 {
				t.Fatalf(`decode("") = %d`, seq)
			}
		case seq <= 0 || EncodePosition(seq) != pos:
			t.Fatalf("decode(%q) = %d, which does not encode back", pos, seq)
		}
	})
}
