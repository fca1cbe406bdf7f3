package respath

import "strings"

// MethodKey returns AWS's key for the method httpMethod of the resource at
// resourcePath: the path, "/", the method — "/pets/GET", and "//GET" for
// the root. Usage plan per-method throttles are keyed by it, and the data
// plane names a matched method's throttle and counters with it.
func MethodKey(resourcePath, httpMethod string) string {
	return resourcePath + "/" + httpMethod
}

// SplitMethodKey splits a method key at its last "/": the resource part
// before it (as written, possibly escaped, empty or "*") and the method
// after it, which must not be empty. ok is false for a key with no "/" or
// an empty method.
func SplitMethodKey(key string) (resource, method string, ok bool) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 || i == len(key)-1 {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}

// CleanPath returns a resource path as clients loosely write it in a key
// ("pets", "/pets/", "", "//") in its canonical form: leading and trailing
// "/" removed and one leading "/" added ("/pets", or "/" for the root).
func CleanPath(p string) string {
	return "/" + strings.Trim(p, "/")
}

// ParseMethodKey reads a Stage methodSettings key in any form AWS and its
// clients store it and returns the resource path and HTTP method it applies
// to:
//
//	"*/*"             -> ("*", "*")        every method of every resource
//	"~1pets/GET"      -> ("/pets", "GET")  AWS's escaped form
//	"test/GET"        -> ("/test", "GET")
//	"path1/path2/GET" -> ("/path1/path2", "GET")  Terraform's unescaped form
//	"~1/GET", "/GET"  -> ("/", "GET")      the root
//
// The method (after the last "/") is kept verbatim and must not be empty
// ("*" means any method). A resource part of exactly "*" means any
// resource; any other is unescaped (Unescape) and cleaned (CleanPath). ok
// is false when SplitMethodKey refuses the key.
func ParseMethodKey(key string) (resourcePath, method string, ok bool) {
	res, method, ok := SplitMethodKey(key)
	if !ok {
		return "", "", false
	}
	if res == "*" {
		return "*", method, true
	}
	return CleanPath(Unescape(res)), method, true
}

var (
	unescaper = strings.NewReplacer("~1", "/", "~0", "~")
	escaper   = strings.NewReplacer("~", "~0", "/", "~1")
)

// Unescape decodes one segment of a patch path or of a stored method key,
// where a resource path's "/" is written "~1" and "~" is written "~0"
// (RFC 6901): one left-to-right pass, so "~01" decodes to "~1". Any other
// "~" sequence is kept as is.
func Unescape(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return unescaper.Replace(s)
}

// Escape encodes s as one segment, so that Unescape(Escape(s)) == s: "~"
// becomes "~0" and "/" becomes "~1".
func Escape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return escaper.Replace(s)
}
