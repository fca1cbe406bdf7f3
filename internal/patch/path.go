package patch

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// Segments splits a patch path into unescaped segments (respath.Unescape):
// "/binaryMediaTypes/image~1png" -> ["binaryMediaTypes", "image/png"].
// "/" yields one empty segment. A path that is empty or does not start with
// "/" is refused with a *BadPathError ("Invalid patch path <p>").
func Segments(path string) ([]string, error) {
	if path == "" || path[0] != '/' {
		return nil, &BadPathError{Path: path}
	}
	segs := strings.Split(path[1:], "/")
	for i, s := range segs {
		segs[i] = respath.Unescape(s)
	}
	return segs, nil
}
