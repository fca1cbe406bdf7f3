package storeurl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/postgres"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// Location is a parsed store URL.
type Location struct {
	// Scheme is the engine: one of Schemes().
	Scheme string
	// Path is the database file of a file-based engine (sqlite), as given
	// (relative paths are relative to the working directory); "" otherwise.
	Path string
	// Server is the URL of a server engine (postgres) with its password
	// masked; "" otherwise.
	Server string
	// conn is the server URL as given, password included. It is a pointer
	// so that printing a Location never shows it.
	conn *string
}

// String returns the location as a URL, with any password masked.
func (l Location) String() string {
	if l.Server != "" {
		return l.Server
	}
	return l.Scheme + "://" + l.Path
}

// engine is one supported scheme.
type engine struct {
	scheme string
	// aliases are other schemes that name the same engine.
	aliases []string
	// parse checks rest, the URL after "scheme://".
	parse func(raw, rest string) (Location, error)
	open  func(ctx context.Context, l Location) (store.Store, error)
}

// engines is the table of supported schemes.
var engines = []engine{
	{scheme: "sqlite", parse: parseSQLite, open: openSQLite},
	{scheme: "postgres", aliases: []string{"postgresql"}, parse: parsePostgres, open: openPostgres},
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
		if e.is(scheme) {
			l, err := e.parse(raw, rest)
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

// is reports whether scheme names e.
func (e engine) is(scheme string) bool {
	if strings.EqualFold(scheme, e.scheme) {
		return true
	}
	for _, a := range e.aliases {
		if strings.EqualFold(scheme, a) {
			return true
		}
	}
	return false
}

func parseSQLite(_, rest string) (Location, error) {
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

// parsePostgres checks a postgres:// or postgresql:// URL as pgx reads
// it (host, port, database, parameters such as sslmode or
// pool_max_conns). Only the URL form is accepted, not a key=value
// connection string.
func parsePostgres(raw, rest string) (Location, error) {
	switch {
	case rest == "":
		return Location{}, errors.New("postgres:// needs a server, as in postgres://gatehouse@db.internal:5432/gatehouse")
	case strings.ContainsRune(rest, 0):
		return Location{}, errors.New("the URL contains a NUL byte")
	}
	if _, err := url.Parse(raw); err != nil {
		return Location{}, errors.New("not a valid URL (a password with reserved characters such as '@', '/' or ' ' must be percent-encoded)")
	}
	if err := postgres.ParseURL(raw); err != nil {
		return Location{}, err
	}
	conn := raw
	return Location{Scheme: "postgres", Server: redact(raw), conn: &conn}, nil
}

func openPostgres(ctx context.Context, l Location) (store.Store, error) {
	if l.conn == nil {
		return nil, errors.New("postgres location without a URL: use Parse")
	}
	return postgres.Open(ctx, *l.conn)
}

// redact returns raw for a message: with its password masked when it
// parses as a URL with user information; when it holds an '@' that
// url.Parse does not read as user information, only its scheme, since the
// rest may hold a password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		// PostgreSQL also takes passwords as query parameters.
		if q := u.Query(); q.Has("password") || q.Has("sslpassword") {
			for _, name := range []string{"password", "sslpassword"} {
				if q.Has(name) {
					q.Set(name, "xxxxx")
				}
			}
			u.RawQuery = q.Encode()
			raw = u.String()
		}
	}
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
