package tuango

import (
	"context"
	"time"
)

// Kinds of BackupRun.
const (
	BackupRunBackup = "backup"
	BackupRunDrill  = "restore_drill"
)

// BackupRun is one backup taken or one restore drill run, as recorded for
// the cluster: the last good of each kind is what the alerts watch.
type BackupRun struct {
	ID         string
	Kind       string // BackupRunBackup or BackupRunDrill
	OK         bool
	Node       string
	File       string // the backup written, or the one the drill restored
	Bytes      int64
	SHA256     string // the payload's
	Detail     string // what was checked, or what failed
	StartedAt  time.Time
	FinishedAt time.Time
}

// BackupRunStore records backups and restore drills for the cluster.
type BackupRunStore interface {
	// RecordBackupRun records one backup or drill.
	RecordBackupRun(ctx context.Context, r BackupRun) error
	// BackupRuns lists the latest recorded, newest first.
	BackupRuns(ctx context.Context, limit int) ([]BackupRun, error)
	// LastGoodBackupRun returns when the last good run of a kind finished,
	// or the zero time if none ever did.
	LastGoodBackupRun(ctx context.Context, kind string) (time.Time, error)
}

// BackupRuns lists the latest backups and restore drills, newest first,
// for staff: at most limit (1 to 200, default 50).
func (s *Service) BackupRuns(ctx context.Context, a Actor, limit int) ([]BackupRun, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = 50
	case limit < 1 || limit > 200:
		return nil, FieldError("limit", "must be between 1 and 200")
	}
	return s.store.BackupRuns(ctx, limit)
}
