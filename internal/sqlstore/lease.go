package sqlstore

import (
	"context"
	"time"
)

// AcquireLease takes or renews a named lease.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO job_leases (name, owner, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE job_leases.lease_until <= ? OR job_leases.owner = excluded.owner`, name, owner, micros(until), micros(now))
	return ok, wrap(err, "acquire lease %s", name)
}

// Setting returns a named setting, storing def first if there is none.
func (s *Store) Setting(ctx context.Context, name, def string) (string, error) {
	if _, err := s.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, def); err != nil {
		return "", wrap(err, "store setting %s", name)
	}
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, wrap(err, "read setting %s", name)
}
