package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// RecordBackupRun records a backup or restore drill.
func (s *Store) RecordBackupRun(ctx context.Context, r tuango.BackupRun) error {
	ok := 0
	if r.OK {
		ok = 1
	}
	_, err := s.exec(ctx, `INSERT INTO backup_runs (id, kind, ok, node, file, bytes, sha256, detail, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Kind, ok, r.Node, r.File, r.Bytes, r.SHA256, r.Detail, micros(r.StartedAt), micros(r.FinishedAt))
	return wrap(err, "record %s %s", r.Kind, r.ID)
}

// BackupRuns lists the latest recorded backups and drills, newest first.
func (s *Store) BackupRuns(ctx context.Context, limit int) ([]tuango.BackupRun, error) {
	rows, err := s.query(ctx, `SELECT id, kind, ok, node, file, bytes, sha256, detail, started_at, finished_at
		FROM backup_runs ORDER BY finished_at DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, wrap(err, "list backup runs")
	}
	defer rows.Close()
	var out []tuango.BackupRun
	for rows.Next() {
		var r tuango.BackupRun
		var ok int
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.Kind, &ok, &r.Node, &r.File, &r.Bytes, &r.SHA256, &r.Detail, &started, &finished); err != nil {
			return nil, wrap(err, "list backup runs")
		}
		r.OK, r.StartedAt, r.FinishedAt = ok == 1, fromMicros(started), fromMicros(finished)
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "list backup runs")
}

// LastGoodBackupRun returns when the last good run of a kind finished,
// or the zero time if none ever did.
func (s *Store) LastGoodBackupRun(ctx context.Context, kind string) (time.Time, error) {
	var at int64
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(finished_at), 0) FROM backup_runs WHERE kind = ? AND ok = 1`, kind).Scan(&at)
	return fromMicros(at), wrap(err, "last good %s", kind)
}
