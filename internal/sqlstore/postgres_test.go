package sqlstore_test

import (
	"os"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// TestPostgres runs the conformance suite on PostgreSQL, each group in a
// schema of its own; it is skipped unless TUANGO_TEST_POSTGRES_URL is set.
func TestPostgres(t *testing.T) {
	if os.Getenv("TUANGO_TEST_POSTGRES_URL") == "" {
		t.Skip("TUANGO_TEST_POSTGRES_URL is not set")
	}
	storetest.Run(t, func(t *testing.T) tuango.Store { return openStore(t, storetest.PostgresDSN(t)) })
}
