package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// conn runs the statements of one transaction. It keeps strings that
// PostgreSQL text cannot hold from reaching it (see storable), and notes
// when PostgreSQL aborted the transaction so that Update runs it again.
//
// Expected outcomes (a taken id, a missing parent, a missing row) are
// found without a failing statement (ON CONFLICT DO NOTHING, row counts,
// lookups), because any error aborts a PostgreSQL transaction and a
// caller may go on after an ErrConflict or ErrNotFound.
type conn struct {
	tx pgx.Tx
	// aborted: a statement failed with a serialization failure or a
	// deadlock; the transaction can only be rolled back and retried.
	aborted bool
}

// Retryable SQLSTATEs.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// note records whether err aborted the transaction in a retryable way,
// and returns err.
func (q *conn) note(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected) {
		q.aborted = true
	}
	return err
}

// exec runs a statement and returns the number of rows it affected, or
// errUnstorable without running it.
func (q *conn) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if !storable(args) {
		return 0, errUnstorable
	}
	tag, err := q.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, q.note(err)
	}
	return tag.RowsAffected(), nil
}

// row runs a query and scans its single row into dest; it returns
// pgx.ErrNoRows when there is none, which is also the answer for an
// argument no row can hold.
func (q *conn) row(ctx context.Context, sql string, args []any, dest ...any) error {
	if !storable(args) {
		return pgx.ErrNoRows
	}
	return q.note(q.tx.QueryRow(ctx, sql, args...).Scan(dest...))
}

// each runs a query and calls fn with each row; an argument no row can
// hold selects no rows.
func (q *conn) each(ctx context.Context, sql string, args []any, fn func(pgx.Rows) error) error {
	if !storable(args) {
		return nil
	}
	rows, err := q.tx.Query(ctx, sql, args...)
	if err != nil {
		return q.note(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return q.note(err)
		}
	}
	return q.note(rows.Err())
}

// exists reports whether query returns a row.
func (q *conn) exists(ctx context.Context, sql string, args ...any) (bool, error) {
	var one int
	err := q.row(ctx, sql, args, &one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// column returns the single text column of a query's rows.
func (q *conn) column(ctx context.Context, sql string, args ...any) ([]string, error) {
	var out []string
	err := q.each(ctx, sql, args, func(rows pgx.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// storable reports whether PostgreSQL text can hold every string argument
// (no NUL byte, valid UTF-8). Byte slices go to bytea columns and are not
// checked.
func storable(args []any) bool {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !textOK(v) {
				return false
			}
		case []string:
			for _, s := range v {
				if !textOK(s) {
					return false
				}
			}
		}
	}
	return true
}

func textOK(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// unavailable wraps err in a store.UnavailableError when it says that
// PostgreSQL could not be reached: a failed connection, a connection lost
// (network error, EOF), or the server refusing or ending sessions
// (SQLSTATE class 08, 57P01-57P03, 53300). Any other error, and nil,
// come back as they are.
func (db *DB) unavailable(err error) error {
	if err == nil || !unreachable(err) {
		return err
	}
	var ue *store.UnavailableError
	if errors.As(err, &ue) {
		return err
	}
	return &store.UnavailableError{Store: db.name, Err: err}
}

func unreachable(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error
		pe *pgconn.PgError
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &pe):
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300"
	}
	return strings.Contains(err.Error(), "conn closed")
}
