package tuango

import "time"

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
