package chaos

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DefaultAdminURL is where the PostgreSQL scenario creates its database when
// neither --pg-url nor TUANGO_TEST_POSTGRES_URL says otherwise.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL returns the PostgreSQL URL to create databases through: the
// given one, else TUANGO_TEST_POSTGRES_URL, else DefaultAdminURL.
func AdminURL(given string) string {
	if given != "" {
		return given
	}
	if env := os.Getenv("TUANGO_TEST_POSTGRES_URL"); env != "" {
		return env
	}
	return DefaultAdminURL
}

// checkLoopback refuses a database that is not on this machine: the fault
// test only ever talks to 127.0.0.1.
func checkLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("chaos: PostgreSQL URL: %w", err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("chaos: PostgreSQL must be on 127.0.0.1, not %q: the fault test talks to this machine only", host)
	}
	return nil
}

// PostgresReachable reports whether PostgreSQL answers at the admin URL.
func PostgresReachable(ctx context.Context, adminURL string) error {
	if err := checkLoopback(adminURL); err != nil {
		return err
	}
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// createDatabase makes a fresh database tuango_chaos_<random> and returns
// its name and URL.
func createDatabase(ctx context.Context, adminURL string) (name, dbURL string, err error) {
	if err := checkLoopback(adminURL); err != nil {
		return "", "", err
	}
	var b [6]byte
	rand.Read(b[:])
	name = "tuango_chaos_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", "", fmt.Errorf("chaos: connect to %s: %w", adminURL, err)
	}
	defer db.Close()
	// A busy server may refuse a connection for a moment (too many clients).
	for attempt := 1; ; attempt++ {
		_, err = db.ExecContext(ctx, `CREATE DATABASE `+name)
		if err == nil {
			break
		}
		if attempt == 5 || ctx.Err() != nil {
			return "", "", fmt.Errorf("chaos: create database %s: %w", name, err)
		}
		sleep(ctx, time.Second)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return name, u.String(), nil
}

// dropDatabase drops a database the fault test made, closing any session
// still on it.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		return fmt.Errorf("chaos: drop database %s: %w", name, err)
	}
	return nil
}
