package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// Location is a parsed store URL.
type Location struct {
	// Scheme is the engine: one of Schemes().
	Scheme string
	// Path is the database file of a file-based engine (sqlite), as given
	// (relative paths are relative to the working directory); "" otherwise.
	Path string
}

// String returns the location as a URL.
func (l Location) String() string {
	return l.Scheme + "://" + l.Path
}

// engine is one supported scheme.
type engine struct {
	scheme string
	// parse checks rest, the URL after "scheme://".
	parse func(rest string) (Location, error)
	open  func(ctx context.Context, l Location) (store.Store, error)
}

// engines is the table of supported schemes.
var engines = []engine{
	{scheme: "sqlite", parse: parseSQLite, open: openSQLite},
}

// Schemes returns the supported schemes, in the form "sqlite://".
func Schemes() []string {
	out := make([]string, len(engines))
	for i, e := range engines {
		out[i] = e.scheme + "://"
	}
	return out
}

// SQLite returns the URL of the SQLite database file at path.
func SQLite(path string) string { return "sqlite://" + path }

// Parse checks a store URL. Its errors name the rule broken and show the
// URL with its password masked.
func Parse(raw string) (Location, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return Location{}, fmt.Errorf("%q: a store URL has the form SCHEME://…; supported: %s", redact(raw), strings.Join(Schemes(), ", "))
	}
	for _, e := range engines {
		if strings.EqualFold(scheme, e.scheme) {
			l, err := e.parse(rest)
			if err != nil {
				return Location{}, fmt.Errorf("%q: %w", redact(raw), err)
			}
			return l, nil
		}
	}
	return Location{}, fmt.Errorf("%q: scheme %q is not supported; supported: %s", redact(raw), strings.ToLower(clip(scheme)), strings.Join(Schemes(), ", "))
}

// Open opens (creating when needed) the store at l, a Location from Parse.
func Open(ctx context.Context, l Location) (store.Store, error) {
	for _, e := range engines {
		if e.scheme == l.Scheme {
			return e.open(ctx, l)
		}
	}
	return nil, fmt.Errorf("store %s: scheme %q is not supported; supported: %s", l, l.Scheme, strings.Join(Schemes(), ", "))
}

func parseSQLite(rest string) (Location, error) {
	switch {
	case rest == "":
		return Location{}, errors.New("sqlite:// needs the database file's path, as in sqlite://./gatehouse-data/gatehouse.db or sqlite:///var/lib/gatehouse/gatehouse.db")
	case strings.ContainsAny(rest, "?#"):
		return Location{}, errors.New("sqlite:// takes a file path only: query parameters and fragments ('?', '#') are not supported")
	case strings.ContainsRune(rest, 0):
		return Location{}, errors.New("the database file's path contains a NUL byte")
	case strings.HasSuffix(rest, "/"):
		return Location{}, errors.New("sqlite:// needs a file path, not a directory (it ends with '/')")
	}
	return Location{Scheme: "sqlite", Path: rest}, nil
}

func openSQLite(ctx context.Context, l Location) (store.Store, error) {
	return sqlite.Open(ctx, l.Path)
}

// redact returns raw for a message: with its password masked when it
// parses as a URL with user information; when it holds an '@' that
// url.Parse does not read as user information, only its scheme, since the
// rest may hold a password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err == nil && u.User != nil:
		return u.Redacted()
	case err == nil && !strings.Contains(raw, "@"):
		return raw
	}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok || !validScheme(scheme) {
		return "…"
	}
	return clip(scheme) + "://…"
}

// validScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, '+', '-' or '.').
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// clip shortens text quoted in a message.
func clip(s string) string {
	const max = 32
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
