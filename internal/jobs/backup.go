package jobs

import (
	"time"

	"tuango/internal/backup"
)

// BackupSweeps returns the backup sweep, every backupEvery, and the
// restore drill of the latest good backup, every drillEvery (each 0: an
// hour). Each runs under its lease, and each skips a run when the last good
// one recorded is recent, so a cluster backs up and drills once per
// interval however its nodes restart.
func BackupSweeps(s backup.Schedule, backupEvery, drillEvery time.Duration) []Task {
	if backupEvery <= 0 {
		backupEvery = backup.Every
	}
	if drillEvery <= 0 {
		drillEvery = backup.Every
	}
	b, d := s, s
	b.Every, d.Every = backupEvery, drillEvery
	return []Task{
		{Name: "backup", Every: backupEvery, Run: b.Backup},
		{Name: "restore_drill", Every: drillEvery, Run: d.Drill},
	}
}
