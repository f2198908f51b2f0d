package storetest

import (
	"testing"

	"tuango/internal/tuango"
)

func testPing(t *testing.T, s tuango.Store) {
	t.Run("Ping answers on a migrated store", func(t *testing.T) {
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping() = %v, want nil", err)
		}
	})
}
