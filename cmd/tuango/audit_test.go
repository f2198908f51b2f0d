package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// auditLog makes a database with n chained audit records and returns its
// dsn and the records.
func auditLog(t *testing.T, n int) (string, []tuango.AuditRecord) {
	t.Helper()
	dsn := storetest.DSN(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := tuango.NewManualClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	svc := tuango.NewService(db.Store(), clock, nil, nil, nil, tuango.Config{BatchMax: 1}, nil)
	defer svc.Close()
	for i := range n {
		clock.Advance(time.Second)
		if err := svc.Audit(ctx, tuango.AuditRecord{ActorID: "usr_op", ActorRole: "operator", Source: "192.0.2.1", Kind: "money.payout_paid",
			Subject: fmt.Sprintf("payout:%d", i), Detail: fmt.Sprintf(`{"amount_fen":%d}`, 100*(i+1))}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // chained in a few sweeps, as a node does
			if _, err := svc.ChainAudit(ctx, 500); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := svc.ChainAudit(ctx, 500); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Store().FindAuditChain(ctx, 0, 100)
	if err != nil || len(rs) != n {
		t.Fatalf("chain = %d records, %v; want %d", len(rs), err, n)
	}
	return dsn, rs
}

func auditVerify(t *testing.T, dsn string, flags ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"audit", "verify", "--data", dsn, "--db", dsn}, flags...), env(nil), nil, &out, &errb)
	return out.String() + errb.String(), err
}

// rawAudit opens the database around the store, as someone with the
// database's password would, and drops the append-only triggers.
func rawAudit(t *testing.T, dsn string) (exec func(string), engine string) {
	t.Helper()
	raw, engine, err := sqlstore.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	exec = func(q string) {
		t.Helper()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if engine == "postgres" {
		exec(`DROP TRIGGER audit_records_append_only ON audit_records`)
	} else {
		exec(`DROP TRIGGER audit_records_no_update`)
		exec(`DROP TRIGGER audit_records_no_delete`)
	}
	return exec, engine
}

// The table refuses to change what is written: UPDATE, DELETE (and on
// PostgreSQL TRUNCATE) of a chained record fail, on both engines.
func TestAuditLogIsAppendOnly(t *testing.T) {
	dsn, _ := auditLog(t, 3)
	raw, engine, err := sqlstore.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	refused := []string{
		`UPDATE audit_records SET detail = '{}' WHERE seq = 2`,
		`UPDATE audit_records SET hash = 'x' WHERE seq = 2`,
		`UPDATE audit_records SET seq = 9 WHERE seq = 3`,
		`DELETE FROM audit_records WHERE seq = 1`,
		`DELETE FROM audit_records`,
	}
	if engine == "postgres" {
		refused = append(refused, `TRUNCATE audit_records`)
	}
	for _, q := range refused {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s = %v, want refused as append-only", q, err)
		}
	}
	if out, err := auditVerify(t, dsn); err != nil || !strings.Contains(out, "3 records checked") {
		t.Errorf("verify after the refused changes = %v:\n%s", err, out)
	}
}

// Audit tamper: with the triggers dropped, changing, deleting, inserting
// or reordering one record is found by tuango audit verify, which exits 1
// naming the first broken record; a log cut short or rewritten with every
// hash recomputed is found against a head kept elsewhere (--expect).
func TestAuditVerifyFindsTampering(t *testing.T) {
	const n = 8
	dsn, rs := auditLog(t, n)
	out, err := auditVerify(t, dsn)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d records checked, head %d %s", n, n, rs[n-1].Hash)) {
		t.Fatalf("verify on an intact log = %v:\n%s", err, out)
	}
	if out, err := auditVerify(t, dsn, "--expect", fmt.Sprintf("%d:%s", n, rs[n-1].Hash)); err != nil {
		t.Fatalf("verify --expect the real head = %v:\n%s", err, out)
	}

	swap := func(exec func(string), a, b int64) {
		exec(fmt.Sprintf(`UPDATE audit_records SET seq = -1 WHERE seq = %d`, a))
		exec(fmt.Sprintf(`UPDATE audit_records SET seq = %d WHERE seq = %d`, a, b))
		exec(fmt.Sprintf(`UPDATE audit_records SET seq = %d WHERE seq = -1`, b))
	}
	cases := []struct {
		name   string
		tamper func(exec func(string), rs []tuango.AuditRecord)
		flags  func(rs []tuango.AuditRecord) []string
		want   string // in the output; {ID3} is the fourth record's id, {ID4} the fifth's, ...
	}{
		{"a changed amount", func(exec func(string), rs []tuango.AuditRecord) {
			exec(`UPDATE audit_records SET detail = '{"amount_fen":1}' WHERE seq = 4`)
		}, nil, "record 4 ({ID3}): its content does not match its hash"},
		{"a changed actor", func(exec func(string), rs []tuango.AuditRecord) {
			exec(`UPDATE audit_records SET actor_id = 'usr_other' WHERE seq = 6`)
		}, nil, "record 6 ({ID5}): its content does not match its hash"},
		{"a deleted record", func(exec func(string), rs []tuango.AuditRecord) {
			exec(`DELETE FROM audit_records WHERE seq = 4`)
		}, nil, "record 4: missing: the chain goes from record 3 to record 5"},
		{"an inserted record", func(exec func(string), rs []tuango.AuditRecord) {
			// Make room at 4 and insert a record whose own link and hash are right.
			for seq := int64(n); seq >= 4; seq-- {
				exec(fmt.Sprintf(`UPDATE audit_records SET seq = %d WHERE seq = %d`, seq+1, seq))
			}
			f := tuango.AuditRecord{ID: "aud_forged", At: rs[2].At.Add(time.Millisecond), ActorID: "usr_op", ActorRole: "operator",
				Source: "192.0.2.1", Kind: "money.payout_paid", Subject: "payout:forged", Detail: `{"amount_fen":999999}`, Seq: 4, PrevHash: rs[2].Hash}
			f.Hash = tuango.AuditHash(f, f.PrevHash)
			exec(fmt.Sprintf(`INSERT INTO audit_records (id, at, actor_id, actor_role, source, kind, subject, detail, seq, prev_hash, hash)
				VALUES ('%s', %d, '%s', '%s', '%s', '%s', '%s', '%s', %d, '%s', '%s')`,
				f.ID, f.At.UnixMicro(), f.ActorID, f.ActorRole, f.Source, f.Kind, f.Subject, f.Detail, f.Seq, f.PrevHash, f.Hash))
		}, nil, "record 5 ({ID3}): its link to the record before does not match"},
		{"two records swapped", func(exec func(string), rs []tuango.AuditRecord) {
			swap(exec, 4, 5)
		}, nil, "record 4 ({ID4}): its link to the record before does not match"},
		{"the last record deleted", func(exec func(string), rs []tuango.AuditRecord) {
			exec(fmt.Sprintf(`DELETE FROM audit_records WHERE seq = %d`, n))
		}, func(rs []tuango.AuditRecord) []string {
			return []string{"--expect", fmt.Sprintf("%d:%s", n, rs[n-1].Hash)}
		}, fmt.Sprintf("record %d: missing: the chain ends at %d", n, n-1)},
		{"a record changed and every later hash recomputed", func(exec func(string), rs []tuango.AuditRecord) {
			prev := rs[2].Hash
			for i := 3; i < n; i++ {
				r := rs[i]
				if i == 3 {
					r.Detail = `{"amount_fen":1}`
				}
				r.PrevHash, r.Hash = prev, tuango.AuditHash(r, prev)
				exec(fmt.Sprintf(`UPDATE audit_records SET detail = '%s', prev_hash = '%s', hash = '%s' WHERE seq = %d`, r.Detail, r.PrevHash, r.Hash, r.Seq))
				prev = r.Hash
			}
		}, func(rs []tuango.AuditRecord) []string {
			return []string{"--expect", fmt.Sprintf("%d:%s", n-2, rs[n-3].Hash)}
		}, fmt.Sprintf("record %d: its hash is not the one recorded elsewhere", n-2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn, rs := auditLog(t, n)
			exec, _ := rawAudit(t, dsn)
			c.tamper(exec, rs)
			var flags []string
			if c.flags != nil {
				flags = c.flags(rs)
				if out, err := auditVerify(t, dsn); err != nil {
					t.Errorf("without --expect the chain itself still verifies here, got %v:\n%s", err, out)
				}
			}
			out, err := auditVerify(t, dsn, flags...)
			if err == nil {
				t.Fatalf("verify after %s exited 0:\n%s", c.name, out)
			}
			want := c.want
			for i, r := range rs {
				want = strings.ReplaceAll(want, fmt.Sprintf("{ID%d}", i), r.ID)
			}
			if !strings.Contains(out, want) {
				t.Errorf("verify after %s said:\n%s\nwant it to name %q", c.name, out, want)
			}
		})
	}
}
