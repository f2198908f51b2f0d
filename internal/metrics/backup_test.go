package metrics

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// The backup and drill timestamps come from the database's record, the
// same on every node, and appear with the first good run.
func TestBackupMetricsReadTheRecord(t *testing.T) {
	m := New()
	var mu sync.Mutex
	last := map[string]time.Time{}
	m.WatchBackups(func(_ context.Context, kind string) (time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		return last[kind], nil
	})
	if got := gather(t, m); hasPrefix(got, NameBackupLastSuccess) || hasPrefix(got, NameRestoreLastSuccess) {
		t.Fatal("backup timestamps before any backup")
	}
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	mu.Lock()
	last[tuango.BackupRunBackup], last[tuango.BackupRunDrill] = at, at.Add(time.Minute)
	mu.Unlock()
	m2 := New() // a fresh collector: the first reads are cached for a few seconds
	m2.WatchBackups(func(_ context.Context, kind string) (time.Time, error) { return last[kind], nil })
	got := gather(t, m2)
	for name, want := range map[string]float64{NameBackupLastSuccess: float64(at.Unix()), NameRestoreLastSuccess: float64(at.Add(time.Minute).Unix())} {
		found := false
		for k, v := range got {
			if strings.HasPrefix(k, name+"{") {
				found = true
				if v != want {
					t.Errorf("%s = %v, want %v", name, v, want)
				}
			}
		}
		if !found {
			t.Errorf("%s missing", name)
		}
	}
}

func hasPrefix(got map[string]float64, name string) bool {
	for k := range got {
		if strings.HasPrefix(k, name+"{") {
			return true
		}
	}
	return false
}
