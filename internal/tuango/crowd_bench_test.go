package tuango_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"tuango/internal/tuango"
)

// BenchmarkPlaceOrderCrowd is BenchmarkPlaceOrder's group commit in the
// shape of a real flash sale: every order from another of 60,000
// customers, on a database that already holds 600,000 entries of the
// customers' units of earlier deals. It runs once with those units keyed
// by customer first (as before migration 0024) and once by deal first
// (now), and reports the write calls and bytes per order as
// BenchmarkPlaceOrder does. Run:
//
//	go test ./internal/tuango -run '^$' -bench PlaceOrderCrowd -benchtime 20000x
func BenchmarkPlaceOrderCrowd(b *testing.B) {
	for _, layout := range []string{"user_id, deal_id", "deal_id, user_id"} {
		b.Run(layout, func(b *testing.B) {
			t := &testing.T{}
			dir := b.TempDir()
			w := newWorld(t, dir, 1)
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tuango.db")+"?_pragma=busy_timeout(10000)")
			if err != nil {
				b.Fatal(err)
			}
			const users, history = 60000, 600000
			tx, _ := raw.Begin()
			for i := range users {
				if _, err := tx.Exec(`INSERT INTO users (id, phone, name, role, password_hash, created_at) VALUES (?, ?, 'c', 'customer', 'x', 0)`, fmt.Sprintf("crowd%06d", i), fmt.Sprintf("15%09d", i)); err != nil {
					b.Fatal(err)
				}
			}
			for i := range history {
				if _, err := tx.Exec(`INSERT INTO customer_deal_units (user_id, deal_id, units) VALUES (?, ?, 1) ON CONFLICT DO NOTHING`,
					fmt.Sprintf("crowd%06d", (i*7919)%users), fmt.Sprintf("deal_old%05d", i%1000)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			for _, q := range []string{
				`CREATE TABLE cdu2 (user_id TEXT NOT NULL, deal_id TEXT NOT NULL, units INTEGER NOT NULL CHECK (units >= 0), PRIMARY KEY (` + layout + `))`,
				`INSERT INTO cdu2 SELECT user_id, deal_id, units FROM customer_deal_units`,
				`DROP TABLE customer_deal_units`,
				`ALTER TABLE cdu2 RENAME TO customer_deal_units`,
			} {
				if _, err := raw.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			raw.Close()
			svc := w.node(tuango.Config{BatchMax: tuango.DefaultBatchMax})
			defer svc.Close()
			ctx := context.Background()
			openHotDeal(b, svc, w, tuango.MaxStock)
			var seq atomic.Int64
			b.SetParallelism(64)
			before := readIO(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					who := tuango.Actor{UserID: fmt.Sprintf("crowd%06d", (n*104729)%users), Role: tuango.RoleCustomer}
					if err := placeOne(ctx, svc, w, who, fmt.Sprint(n)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			reportWrites(b, before)
		})
	}
}
