package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"tuango/internal/tuango"
)

// Replica is a pool of PostgreSQL connections for the catalog reads a
// standby may serve (tuango.CatalogReader). Writes cannot go through it,
// twice over: the type has no method that writes, and every session it
// opens is default_transaction_read_only, so that even one pointed at a
// primary refuses to write (SQLSTATE 25006).
type Replica struct {
	db *DB
	s  *Store
}

var _ tuango.CatalogReader = (*Replica)(nil)

// ReplicaMaxConns is the replica pool's size per node.
const ReplicaMaxConns = 8

// OpenReplica opens a read pool on dsn, a PostgreSQL connection string
// (with several hosts, target_session_attrs=prefer-standby reads from a
// standby while one answers). It connects lazily, so that a node starts
// while its standby is down, and runs no migrations: the schema comes from
// the primary.
func OpenReplica(dsn string) (*Replica, error) {
	if !IsPostgres(dsn) {
		return nil, errors.New("sqlstore: a read pool needs a PostgreSQL connection string (postgres://... or host=...)")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read pool: %w", err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(ReplicaMaxConns)
	pool.SetMaxIdleConns(ReplicaMaxConns)
	db := &DB{engine: postgresEngine{}, write: pool, read: pool, rebound: map[string]string{}}
	return &Replica{db: db, s: db.Store()}, nil
}

// Close closes the pool.
func (r *Replica) Close() error { return r.db.Close() }

// Ping checks that the read pool's server answers.
func (r *Replica) Ping(ctx context.Context) error {
	return markUnavailable(r.db.read.PingContext(ctx))
}

// FindCityByID reads a city.
func (r *Replica) FindCityByID(ctx context.Context, id string) (*tuango.City, error) {
	return r.s.FindCityByID(ctx, id)
}

// FindPickupPointByID reads a pickup point.
func (r *Replica) FindPickupPointByID(ctx context.Context, id string) (*tuango.PickupPoint, error) {
	return r.s.FindPickupPointByID(ctx, id)
}

// FindPickupPoints lists pickup points.
func (r *Replica) FindPickupPoints(ctx context.Context, f tuango.PickupPointFilter) ([]tuango.PickupPoint, error) {
	return r.s.FindPickupPoints(ctx, f)
}

// FindDeals lists deals.
func (r *Replica) FindDeals(ctx context.Context, f tuango.DealFilter) ([]tuango.Deal, error) {
	return r.s.FindDeals(ctx, f)
}

// FindDealPrices reads a deal's price history.
func (r *Replica) FindDealPrices(ctx context.Context, dealID string) ([]tuango.DealPrice, error) {
	return r.s.FindDealPrices(ctx, dealID)
}

// readOnlyPool is the pool itself, for the test that it refuses writes.
func (r *Replica) readOnlyPool() *sql.DB { return r.db.read }
