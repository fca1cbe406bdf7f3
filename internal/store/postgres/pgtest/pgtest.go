// Package pgtest gives tests a fresh PostgreSQL database of their own on
// the server CI runs (by default postgres://postgres@127.0.0.1:5432, trust
// authentication; $GATEHOUSE_TEST_POSTGRES overrides it).
//
// When the server is unreachable, a test is skipped with a message, except
// under CI=true, where it fails: CI must not pass by skipping the store.
//
// Package pgtest imports only pgx and the standard library; only tests
// import it.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerEnv names the variable that overrides the server URL (a URL of
// any database on it, for the administrative connection).
const ServerEnv = "GATEHOUSE_TEST_POSTGRES"

// DefaultServer is the server tests use by default.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// connectTimeout bounds each administrative connection.
const connectTimeout = 10 * time.Second

// server returns the administrative URL.
func server() string {
	if u := os.Getenv(ServerEnv); u != "" {
		return u
	}
	return DefaultServer
}

// admin connects to the server, or skips (fails under CI=true) the test
// when it cannot.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	c, err := pgx.Connect(ctx, server())
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL is unreachable (%v); set %s to a server URL, or start the machine's server "+
			"(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)", err, ServerEnv)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return c
}

// Database creates an empty database named gatehouse_test_<random>, drops
// it (closing its connections first) when the test ends, and returns its
// URL.
func Database(t testing.TB) string {
	t.Helper()
	c := admin(t)
	defer c.Close(context.Background())
	// rand.Text is upper-case base32; lower case needs no quoting in psql.
	name := "gatehouse_test_" + strings.ToLower(rand.Text()[:16])
	ident := pgx.Identifier{name}.Sanitize()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if _, err := c.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("create database %s: %v", ident, err)
	}
	t.Cleanup(func() {
		c := admin(t)
		defer c.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", ident, err)
		}
	})
	u, err := url.Parse(server())
	if err != nil {
		t.Fatalf("%s: %v", ServerEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}
