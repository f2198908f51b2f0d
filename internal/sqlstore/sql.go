package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](s *Store, ctx context.Context, scan func(scanner, *T) error, query string, args ...any) ([]T, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, fmt.Errorf("sqlstore: scan: %w", markUnavailable(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil { // a connection cut mid-read
		return nil, fmt.Errorf("sqlstore: %w", markUnavailable(err))
	}
	return out, nil
}

// queryByIDs runs a select with its conditions plus "id IN (...)" over ids
// in chunks, and returns every row found.
func queryByIDs[T any](s *Store, ctx context.Context, scan func(scanner, *T) error, sel string, where []string, args []any, ids []string) ([]T, error) {
	var out []T
	err := inChunks(ids, func(marks string, idArgs []any) error {
		rows, err := queryAll(s, ctx, scan, sel+whereClause(append(where, "id IN ("+marks+")"))+` ORDER BY id`, append(args, idArgs...)...)
		out = append(out, rows...)
		return err
	})
	return out, err
}

// Sets of rows are written and looked up in chunks of powers of two up to
// 128, so that the statement texts stay few (eight per kind of statement)
// and their prepared statements are reused (maxCachedStmts), while n rows
// take at most log2(n)+1 statements.
var chunkSizes = []int{128, 64, 32, 16, 8, 4, 2, 1}

// chunk is how many of n rows the next insert takes: the largest chunk
// size that fits.
func chunk(n int) int {
	for _, c := range chunkSizes {
		if n >= c {
			return c
		}
	}
	return n
}

// insertRows runs head VALUES (...), (...) tail over rows in chunks.
func (s *Store) insertRows(ctx context.Context, head, tail string, width int, rows [][]any) error {
	for len(rows) > 0 {
		n := chunk(len(rows))
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := s.exec(ctx, head+" VALUES "+tuples(n, width)+tail, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// readChunk is how many of n values one lookup statement takes: n rounded
// up to a power of two, at most the largest chunk. A lookup pads its list
// by repeating its last value, which finds nothing more, so that up to 128
// values take ONE statement (a read transaction of its own on SQLite)
// from eight prepared texts.
func readChunk(n int) int {
	c := 1
	for c < n && c < chunkSizes[0] {
		c *= 2
	}
	return c
}

// padded calls fn with xs in chunks of up to 128, each padded to its
// readChunk size by repeating its last value.
func padded[T any](xs []T, fn func(part []T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), chunkSizes[0])
		part := make([]T, readChunk(n))
		for i := range part {
			part[i] = xs[min(i, n-1)]
		}
		if err := fn(part); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

// inChunks calls fn with the ids in padded chunks (see padded), each with
// "?, ?, ..." for it; ids may repeat in a chunk.
func inChunks(ids []string, fn func(marks string, args []any) error) error {
	return padded(ids, func(part []string) error {
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		return fn(placeholders(len(part)), args)
	})
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// tuples returns "(?, ?), (?, ?)" for n rows of width values.
func tuples(n, width int) string {
	return strings.TrimSuffix(strings.Repeat("("+placeholders(width)+"), ", n), ", ")
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// nullable stores an empty id as NULL, for optional foreign keys.
func nullable(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// micros stores a time as microseconds since the epoch; zero stays zero.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads a time stored by micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// notFound turns sql.ErrNoRows into tuango's not_found.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return tuango.ErrNotFound
	}
	return err
}

// mustChange turns "no row changed" into not_found.
func mustChange(ok bool, err error) error {
	if err == nil && !ok {
		return tuango.ErrNotFound
	}
	return err
}

// wrap names where an error came from, keeping its chain for codes.
// An error that means the database cannot be reached (rather than that the
// request was wrong) becomes unavailable, which clients see as 503 with
// Retry-After.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if unreachable(err) {
		return fmt.Errorf("sqlstore: "+format+": %w (%v)", append(args, errUnavailable, err)...)
	}
	return fmt.Errorf("sqlstore: "+format+": %w", append(args, err)...)
}
