package sqlstore

import (
	"context"
	"testing"
)

// Readiness during a rolling upgrade: a node is ready on its own schema
// version or a newer one (the next release migrated first), and not on an
// older one.
func TestPingAcceptsNewerSchemaOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.Store()
	latest := latestMigration(db.engine)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on the current schema = %v", err)
	}
	if _, err := s.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future.sql', '')`, latest+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping on a newer schema = %v, want ready", err)
	}
	if _, err := s.exec(ctx, `DELETE FROM schema_migrations WHERE version >= ?`, latest); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping on an older schema = nil, want not ready")
	}
}
