package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testBackupRuns(t *testing.T, s tuango.Store) {
	t.Run("backup runs list newest first and the last good of each kind is found", func(t *testing.T) {
		ctx := t.Context()
		if at, err := s.LastGoodBackupRun(ctx, tuango.BackupRunBackup); err != nil || !at.IsZero() {
			t.Fatalf("LastGoodBackupRun before any = %v, %v; want zero", at, err)
		}
		at := func(m int) time.Time { return t0().Add(time.Duration(m) * time.Minute) }
		runs := []tuango.BackupRun{
			{ID: newID("bkr"), Kind: tuango.BackupRunBackup, OK: true, Node: "a", File: "/b/1", Bytes: 10, SHA256: "s1", Detail: "ok", StartedAt: at(0), FinishedAt: at(1)},
			{ID: newID("bkr"), Kind: tuango.BackupRunDrill, OK: true, Node: "b", File: "/b/1", Detail: "held", StartedAt: at(2), FinishedAt: at(3)},
			{ID: newID("bkr"), Kind: tuango.BackupRunBackup, OK: false, Node: "a", Detail: "FAILED: disk full", StartedAt: at(4), FinishedAt: at(5)},
			{ID: newID("bkr"), Kind: tuango.BackupRunDrill, OK: false, Node: "b", File: "/b/1", Detail: "FAILED: damaged", StartedAt: at(6), FinishedAt: at(7)},
		}
		for _, r := range runs {
			if err := s.RecordBackupRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.BackupRuns(ctx, 3)
		if err != nil || len(got) != 3 {
			t.Fatalf("BackupRuns(3) = %d runs, %v", len(got), err)
		}
		for i, want := range []tuango.BackupRun{runs[3], runs[2], runs[1]} {
			if got[i] != want {
				t.Errorf("BackupRuns[%d] = %+v, want %+v", i, got[i], want)
			}
		}
		for kind, want := range map[string]time.Time{tuango.BackupRunBackup: at(1), tuango.BackupRunDrill: at(3)} {
			if got, err := s.LastGoodBackupRun(ctx, kind); err != nil || !got.Equal(want) {
				t.Errorf("LastGoodBackupRun(%s) = %v, %v; want %v (failed runs do not count)", kind, got, err, want)
			}
		}
	})
}
