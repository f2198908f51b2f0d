package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's WAL must be copied back into the database file now and then (a
// checkpoint). Left to SQLite, the writer does it inside the commit that
// crosses 1,000 pages of WAL: it copies some 4 MiB and fsyncs the
// database file while every order waiting for the next batch waits too.
// Instead the writer only checkpoints past walBackstopPages (should this
// goroutine fall behind), and a connection of its own runs a PASSIVE
// checkpoint every checkpointEvery, beside the writer rather than in its
// way: PASSIVE never blocks the writer or the readers.
const (
	checkpointEvery   = 100 * time.Millisecond
	walBackstopPages  = 16384 // 64 MiB of WAL
	checkpointTimeout = 30 * time.Second
)

// checkpointer runs PASSIVE checkpoints on conn until stop is closed.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
		// A failure is left for the next tick; the writer's backstop
		// bounds the WAL meanwhile.
		c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
	}
}

// close stops the checkpoints and closes their connection; closing again
// does nothing.
func (c *checkpointer) close() error {
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
