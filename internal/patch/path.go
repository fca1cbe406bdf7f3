package patch

import "strings"

var (
	unescaper = strings.NewReplacer("~1", "/", "~0", "~")
	escaper   = strings.NewReplacer("~", "~0", "/", "~1")
)

// Unescape decodes one path segment: "~1" becomes "/" and "~0" becomes "~",
// in a single left-to-right pass, so "~01" decodes to "~1" (RFC 6901). Any
// other "~" sequence is kept as is.
func Unescape(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return unescaper.Replace(s)
}

// Escape encodes one path segment so that Unescape(Escape(s)) == s:
// "~" becomes "~0" and "/" becomes "~1".
func Escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return escaper.Replace(s)
}

// Segments splits a patch path into unescaped segments:
// "/binaryMediaTypes/image~1png" -> ["binaryMediaTypes", "image/png"].
// "/" yields one empty segment. A path that is empty or does not start with
// "/" is refused with a *BadPathError ("Invalid patch path <p>").
func Segments(path string) ([]string, error) {
	if path == "" || path[0] != '/' {
		return nil, &BadPathError{Path: path}
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		segs[i] = Unescape(s)
	}
	return segs, nil
}
