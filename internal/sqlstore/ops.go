package sqlstore

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"tuango/internal/tuango"
)

// writerGate measures the SQLite writer's queue: how many callers wait
// for the one writer now, and how long each waited and held it.
type writerGate struct {
	waiting atomic.Int64
	observe atomic.Pointer[func(wait, held time.Duration)]
}

// lockWriter takes the one writer and returns when the caller asked for it
// and got it, for unlockWriter.
func (db *DB) lockWriter() (asked, got time.Time) {
	asked = time.Now()
	db.gate.waiting.Add(1)
	db.wmu.Lock()
	db.gate.waiting.Add(-1)
	return asked, time.Now()
}

func (db *DB) unlockWriter(asked, got time.Time) {
	db.wmu.Unlock()
	if fn := db.gate.observe.Load(); fn != nil {
		(*fn)(got.Sub(asked), time.Since(got))
	}
}

// WriterQueue reports how many callers wait for the SQLite writer now;
// on PostgreSQL it is always 0 (the pool's wait is in its DBStats).
func (db *DB) WriterQueue() int { return int(db.gate.waiting.Load()) }

// ObserveWriter has fn told, after each use of the SQLite writer, how long
// its caller waited for it and held it. fn must be cheap.
func (db *DB) ObserveWriter(fn func(wait, held time.Duration)) { db.gate.observe.Store(&fn) }

// Pools returns the database/sql pools by role, for their statistics: on
// SQLite "write" (the one writer) and "read"; on PostgreSQL one "pool".
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{"pool": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}

// Backlog is what the background work has left to do, read for the
// metrics.
type Backlog struct {
	OutboxUnsent int       // outbox messages not yet sent
	OutboxOldest time.Time // when the oldest of them was written; zero if none
	// OversoldDeals counts deals that ended within the last day or are on
	// sale whose units in orders not cancelled exceed their stock: always
	// 0 unless rule 1 was broken.
	OversoldDeals int
	// PayoutsFailing counts approved payouts whose send to the provider
	// has failed at least once and not yet succeeded: the payouts sweep
	// tries them again at every run, and their money waits meanwhile.
	PayoutsFailing int
}

// ReadBacklog reads the outbox's backlog, checks for oversold deals and
// counts the payouts whose sends fail.
func (db *DB) ReadBacklog(ctx context.Context, now time.Time) (Backlog, error) {
	var b Backlog
	s := db.Store()
	var oldest int64
	if err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM outbox WHERE sent_at = 0`).Scan(&b.OutboxUnsent, &oldest); err != nil {
		return b, wrap(err, "read the outbox backlog")
	}
	b.OutboxOldest = fromMicros(oldest)
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM deals d WHERE d.sale_ends_at >= ? AND d.stock <
		(SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		 WHERE l.deal_id = d.id AND o.status <> 'cancelled')`, micros(now.Add(-24*time.Hour))).Scan(&b.OversoldDeals)
	if err != nil {
		return b, wrap(err, "count oversold deals")
	}
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM payouts WHERE status = ? AND attempts > 0`, string(tuango.PayoutApproved)).Scan(&b.PayoutsFailing); err != nil {
		return b, wrap(err, "count failing payouts")
	}
	return b, nil
}
