package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// The read pool reads the catalog and cannot write, even pointed at a
// primary: the Replica type offers no write (tuango.CatalogReader), and
// its sessions refuse one with SQLSTATE 25006 should any code reach the
// connections beneath it.
func TestReplicaReadsAndCannotWrite(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips without TUANGO_TEST_POSTGRES_URL
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	city := &tuango.City{ID: tuango.RandomID("cty"), Name: "武汉", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	if err := db.Store().CreateCity(ctx, city); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReplica(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.FindCityByID(ctx, city.ID)
	if err != nil || got.Name != city.Name {
		t.Fatalf("FindCityByID through the read pool = %+v, %v; want %s", got, err, city.Name)
	}

	other := &tuango.City{ID: tuango.RandomID("cty"), Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	// The store beneath, which the type does not offer: refused, and as
	// unavailable (a standby), never as an internal error.
	err = r.s.CreateCity(ctx, other)
	if err == nil || !strings.Contains(err.Error(), "25006") || tuango.ErrorCode(err) != tuango.CodeUnavailable {
		t.Fatalf("a write on the read pool's connections = %v, want SQLSTATE 25006 (read-only transaction), unavailable", err)
	}
	var pg *pgconn.PgError
	if _, err := r.readOnlyPool().ExecContext(ctx, `UPDATE cities SET name = 'x'`); !errors.As(err, &pg) || pg.Code != "25006" {
		t.Fatalf("UPDATE on the read pool = %v, want SQLSTATE 25006", err)
	}
	if _, err := db.Store().FindCityByID(ctx, other.ID); !tuango.IsNotFound(err) {
		t.Errorf("the city written through the read pool exists (err %v)", err)
	}
	if got, _ := db.Store().FindCityByID(ctx, city.ID); got == nil || got.Name != city.Name {
		t.Errorf("the UPDATE through the read pool changed the city: %+v", got)
	}
	if _, err := OpenReplica(t.TempDir()); err == nil {
		t.Error("OpenReplica(a folder) succeeded; a read pool is PostgreSQL only")
	}
}
