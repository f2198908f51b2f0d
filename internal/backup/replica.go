package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/benbjohnson/litestream/s3"
)

// SQLite's continuous replication is Litestream, used as a library: it
// follows the database's WAL and ships each change to a folder or an
// S3-compatible bucket within about a second, and restores to any point in
// time the replica covers. Litestream 0.5 replicates a database to one
// destination, so a node takes a folder or a bucket, not both.

// ReplicaConfig says where the SQLite database is replicated to.
type ReplicaConfig struct {
	Dir string // a folder, or
	S3  string // s3://bucket/path
	// S3Endpoint is an S3-compatible service's URL (empty: AWS).
	S3Endpoint        string
	S3Region          string
	S3AccessKeyID     string
	S3SecretAccessKey string
	// Interval is how often changes are shipped: the recovery point
	// (default a second).
	Interval time.Duration
	Log      *slog.Logger
}

// Enabled reports whether a destination is set.
func (c ReplicaConfig) Enabled() bool { return c.Dir != "" || c.S3 != "" }

// IsReplica reports whether from names a replica (a folder or an s3://
// URL) rather than a backup file.
func IsReplica(from string) bool {
	if strings.HasPrefix(from, "s3://") {
		return true
	}
	st, err := os.Stat(from)
	return err == nil && st.IsDir()
}

func (c ReplicaConfig) client() (litestream.ReplicaClient, error) {
	switch {
	case c.Dir != "" && c.S3 != "":
		return nil, errors.New("backup: Litestream 0.5 replicates a database to one destination: give --replicate-to or --replicate-s3, not both")
	case c.Dir != "":
		abs, err := filepath.Abs(c.Dir)
		if err != nil {
			return nil, err
		}
		return file.NewReplicaClient(abs), nil
	case c.S3 != "":
		u, err := url.Parse(c.S3)
		if err != nil || u.Scheme != "s3" || u.Host == "" {
			return nil, fmt.Errorf("backup: --replicate-s3 %q: want s3://bucket/path", c.S3)
		}
		cl := s3.NewReplicaClient()
		cl.Bucket, cl.Path = u.Host, strings.Trim(u.Path, "/")
		cl.Region, cl.Endpoint = c.S3Region, c.S3Endpoint
		if cl.Region == "" {
			cl.Region = "us-east-1"
		}
		cl.ForcePathStyle = c.S3Endpoint != "" // S3-compatible services want path-style URLs
		cl.AccessKeyID, cl.SecretAccessKey = c.S3AccessKeyID, c.S3SecretAccessKey
		return cl, nil
	}
	return nil, errors.New("backup: no replica destination given")
}

func (c ReplicaConfig) interval() time.Duration {
	if c.Interval <= 0 {
		return time.Second
	}
	return c.Interval
}

func (c ReplicaConfig) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log.With("component", "litestream")
}

// Replicator replicates one SQLite database while it is open.
type Replicator struct {
	store *litestream.Store
	db    *litestream.DB
}

// Replicate starts replicating the database in dataDir. Close it after the
// application's own connections are closed.
func Replicate(ctx context.Context, dataDir string, c ReplicaConfig) (*Replicator, error) {
	client, err := c.client()
	if err != nil {
		return nil, err
	}
	db := litestream.NewDB(filepath.Join(dataDir, dbFile))
	db.MonitorInterval = c.interval()
	r := litestream.NewReplicaWithClient(db, client)
	r.SyncInterval = c.interval()
	db.Replica = r
	if fc, ok := client.(*file.ReplicaClient); ok {
		fc.Replica = r
	}
	st := litestream.NewStore([]*litestream.DB{db}, litestream.DefaultCompactionLevels)
	st.Logger = c.log()
	db.SetLogger(st.Logger)
	if err := st.Open(ctx); err != nil {
		return nil, fmt.Errorf("backup: start replication: %w", err)
	}
	return &Replicator{store: st, db: db}, nil
}

// Sync ships what is committed now, without waiting for the interval.
func (r *Replicator) Sync(ctx context.Context) error {
	if err := r.db.Sync(ctx); err != nil {
		return err
	}
	return r.db.Replica.Sync(ctx)
}

// Close ships what is left and stops.
func (r *Replicator) Close(ctx context.Context) error { return r.store.Close(ctx) }

// RestoreReplica restores the replica c names into the data folder
// dataDir, as it was at the instant at (zero: the latest), refusing a
// folder holding data unless force. The copy is checked by SQLite's
// integrity and foreign-key checks before it takes the folder's place.
func RestoreReplica(ctx context.Context, c ReplicaConfig, dataDir string, at time.Time, force bool) error {
	client, err := c.client()
	if err != nil {
		return err
	}
	if err := client.Init(ctx); err != nil {
		return fmt.Errorf("backup: open the replica: %w", err)
	}
	dst := filepath.Join(dataDir, dbFile)
	if err := refuseLive(dst, force); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("backup: create %s: %w", dataDir, err)
	}
	tmp := dst + ".restoring"
	os.Remove(tmp)
	defer os.Remove(tmp)
	opt := litestream.NewRestoreOptions()
	opt.OutputPath, opt.Timestamp = tmp, at
	if err := litestream.NewReplicaWithClient(nil, client).Restore(ctx, opt); err != nil {
		if errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
			return fmt.Errorf("backup: the replica has nothing to restore at %s: %w", describeAt(at), err)
		}
		return fmt.Errorf("backup: restore the replica: %w", err)
	}
	return moveIntoPlace(ctx, tmp, dst, Manifest{})
}

func describeAt(at time.Time) string {
	if at.IsZero() {
		return "the latest point"
	}
	return at.UTC().Format(time.RFC3339Nano)
}
