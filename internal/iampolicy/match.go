package iampolicy

import "unicode/utf8"

// Match reports whether s matches an IAM wildcard pattern: "*" matches any
// run of characters (including "/" and ":"), "?" exactly one character,
// everything else itself, case-sensitively. It does not allocate.
func Match[S string | []byte](pattern string, s S) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				star, mark = p, i
				p++
				continue
			case c == '?':
				p, i = p+1, i+runeWidth(s[i:])
				continue
			case c == s[i]:
				p, i = p+1, i+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Backtrack: the last "*" takes one more character.
		mark += runeWidth(s[mark:])
		p, i = star+1, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// runeWidth is the width of the UTF-8 character s starts with (1 for an
// invalid byte), as utf8.DecodeRune counts it, without allocating.
func runeWidth[S string | []byte](s S) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	var b [utf8.UTFMax]byte
	n := copy(b[:], s)
	_, w := utf8.DecodeRune(b[:n])
	return w
}
