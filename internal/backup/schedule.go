package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"tuango/internal/tuango"
)

// Runs is where backups and drills are recorded: the cluster's database.
type Runs interface {
	RecordBackupRun(ctx context.Context, r tuango.BackupRun) error
	BackupRuns(ctx context.Context, limit int) ([]tuango.BackupRun, error)
	LastGoodBackupRun(ctx context.Context, kind string) (time.Time, error)
}

// Schedule is the background work: a backup now and then, and a drill of
// the latest good backup. Each runs under a lease (internal/jobs), so in a
// cluster one node at a time does it; the results live in the database.
type Schedule struct {
	DSN  string // the live database: a data folder or a postgres:// URL
	Dir  string // where backups are written; shared by the nodes of a cluster
	Keep int    // how many backups to keep (0: all)
	// Scratch is where drills restore: a folder for SQLite (default the
	// system's temporary folder), a database URL for PostgreSQL (default
	// DrillURL(DSN), created if missing).
	Scratch string
	Node    string
	Clock   tuango.Clock
	Runs    Runs
	Log     *slog.Logger
	// Every, if set, skips a run when the last good one of its kind
	// finished less than nine tenths of it ago, so that a restarted node
	// does not back up again at once: the schedule lives in the database.
	Every time.Duration
	// Extra, if set, adds fields to each backup's manifest.
	Extra func(ctx context.Context) map[string]string
}

// Backup takes one backup, prunes old ones and records the result; a
// failure is recorded too, and returned.
func (s *Schedule) Backup(ctx context.Context) (int, error) {
	start := s.Clock.Now()
	if due, err := s.due(ctx, tuango.BackupRunBackup, start); !due || err != nil {
		return 0, err
	}
	var extra map[string]string
	if s.Extra != nil {
		extra = s.Extra(ctx)
	}
	res, err := Take(ctx, s.DSN, s.Dir, start, extra)
	run := tuango.BackupRun{ID: newRunID(), Kind: tuango.BackupRunBackup, Node: s.Node, StartedAt: start, File: res.Path,
		Bytes: res.Bytes, SHA256: res.Manifest.PayloadSHA256}
	if err != nil {
		run.Detail = "FAILED: " + err.Error()
	} else {
		run.OK = true
		run.Detail = fmt.Sprintf("%d tables, %d bytes raw, schema %d", len(res.Manifest.Rows), res.Manifest.RawBytes, res.Manifest.SchemaVersion)
		if n, perr := Prune(s.Dir, s.Keep); perr != nil {
			s.log().Warn("backup: prune old backups", "err", perr)
		} else if n > 0 {
			run.Detail += fmt.Sprintf("; removed %d old", n)
		}
	}
	return s.record(ctx, run, err)
}

// Drill restores the latest good backup recorded into the scratch place
// and checks it, recording the result. A damaged backup, a missing file or
// a broken rule fails it loudly: an error log line, the failure recorded,
// and the last-good-drill metric left behind.
func (s *Schedule) Drill(ctx context.Context) (int, error) {
	start := s.Clock.Now()
	if due, err := s.due(ctx, tuango.BackupRunDrill, start); !due || err != nil {
		return 0, err
	}
	run := tuango.BackupRun{ID: newRunID(), Kind: tuango.BackupRunDrill, Node: s.Node, StartedAt: start}
	file, err := s.latest(ctx)
	if err != nil {
		run.Detail = "FAILED: " + err.Error()
		return s.record(ctx, run, err)
	}
	run.File = file.File
	run.SHA256 = file.SHA256
	if st, err := os.Stat(file.File); err == nil {
		run.Bytes = st.Size()
	}
	scratch := s.Scratch
	if IsPostgres(s.DSN) && scratch == "" {
		if scratch, err = DrillURL(s.DSN); err == nil {
			err = EnsureDatabase(ctx, s.DSN, scratch)
		}
		if err != nil {
			run.Detail = "FAILED: " + err.Error()
			return s.record(ctx, run, err)
		}
	}
	rep := Drill(ctx, file.File, scratch)
	run.Detail, run.OK = rep.Summary(), rep.OK()
	if !rep.OK() {
		err = errors.New(run.Detail)
	}
	return s.record(ctx, run, err)
}

// due reports whether a run of kind is due at now.
func (s *Schedule) due(ctx context.Context, kind string, now time.Time) (bool, error) {
	if s.Every <= 0 {
		return true, nil
	}
	last, err := s.Runs.LastGoodBackupRun(ctx, kind)
	if err != nil {
		return false, err
	}
	return last.IsZero() || now.Sub(last) >= s.Every*9/10, nil
}

// latest finds the newest good backup recorded.
func (s *Schedule) latest(ctx context.Context) (tuango.BackupRun, error) {
	runs, err := s.Runs.BackupRuns(ctx, 200)
	if err != nil {
		return tuango.BackupRun{}, err
	}
	for _, r := range runs {
		if r.Kind == tuango.BackupRunBackup && r.OK {
			return r, nil
		}
	}
	return tuango.BackupRun{}, errors.New("backup: no good backup is recorded yet, nothing to drill")
}

func (s *Schedule) record(ctx context.Context, run tuango.BackupRun, err error) (int, error) {
	run.FinishedAt = s.Clock.Now()
	if err != nil {
		s.log().Error(run.Kind+" FAILED", "file", run.File, "err", err)
	} else {
		s.log().Info(run.Kind+" ok", "file", run.File, "detail", run.Detail)
	}
	if rerr := s.Runs.RecordBackupRun(ctx, run); rerr != nil {
		return 0, errors.Join(err, rerr)
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}

func (s *Schedule) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func newRunID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "bkr_" + hex.EncodeToString(b)
}

// Every is the default interval of both sweeps.
const Every = time.Hour
