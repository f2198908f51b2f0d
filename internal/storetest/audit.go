package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testAudit(t *testing.T, s tuango.Store) {
	ctx := t.Context()
	rec := func(id, actor, kind string, at time.Time) *tuango.AuditRecord {
		return &tuango.AuditRecord{ID: id, At: at, ActorID: actor, ActorRole: "operator", Source: "192.0.2.9", Kind: kind, Subject: "deal:1", Detail: `{"a":1}`}
	}
	// Ids sort by time, as the service's do; appended out of time order,
	// as transactions commit.
	p := newID("aud")
	b := rec(p+"2", "usr_a", "operator.POST /admin/deals", t0().Add(2*time.Second))
	a := rec(p+"1", "usr_b", "money.payment_captured", t0().Add(time.Second))
	c := rec(p+"3", "usr_a", "money.refund_granted", t0().Add(3*time.Second))
	for _, r := range []*tuango.AuditRecord{b, a, c} {
		must(t, s.AppendAudit(ctx, r), "AppendAudit(%s)", r.ID)
	}
	t.Run("a second append of one id is ignored", func(t *testing.T) {
		dup := *a
		dup.Detail = `{"changed":true}`
		must(t, s.AppendAudit(ctx, &dup), "AppendAudit(again)")
		got, err := s.FindUnchainedAudit(ctx, 10)
		must(t, err, "FindUnchainedAudit")
		if len(got) != 3 || got[0].Detail != `{"a":1}` {
			t.Errorf("unchained = %+v, want 3 with the first append's detail", got)
		}
	})
	t.Run("waiting records come oldest first, with their content", func(t *testing.T) {
		got, err := s.FindUnchainedAudit(ctx, 10)
		must(t, err, "FindUnchainedAudit")
		want := []tuango.AuditRecord{*a, *b, *c}
		wantEqual(t, got, want, "FindUnchainedAudit")
		n, oldest, err := s.CountUnchainedAudit(ctx)
		must(t, err, "CountUnchainedAudit")
		if n != 3 || !oldest.Equal(a.At) {
			t.Errorf("CountUnchainedAudit = %d, %v; want 3, %v", n, oldest, a.At)
		}
	})
	t.Run("chaining writes seq and hashes once", func(t *testing.T) {
		seq, hash, err := s.FindAuditHead(ctx)
		must(t, err, "FindAuditHead")
		if seq != 0 || hash != "" {
			t.Fatalf("head of an empty chain = %d %q", seq, hash)
		}
		first := *a
		first.Seq, first.PrevHash, first.Hash = 1, "", "h1"
		must(t, s.ChainAudit(ctx, []tuango.AuditRecord{first}), "ChainAudit")
		seq, hash, err = s.FindAuditHead(ctx)
		must(t, err, "FindAuditHead")
		if seq != 1 || hash != "h1" {
			t.Errorf("head = %d %q, want 1 h1", seq, hash)
		}
		again := first
		again.Seq = 2
		wantCode(t, s.ChainAudit(ctx, []tuango.AuditRecord{again}), tuango.CodeConflict, "ChainAudit(a chained record)")
		taken := *b
		taken.Seq, taken.PrevHash, taken.Hash = 1, "h1", "h2"
		if err := s.ChainAudit(ctx, []tuango.AuditRecord{taken}); err == nil {
			t.Error("ChainAudit(a taken seq) succeeded")
		}
		next := *b
		next.Seq, next.PrevHash, next.Hash = 2, "h1", "h2"
		must(t, s.ChainAudit(ctx, []tuango.AuditRecord{next}), "ChainAudit(second)")
		chain, err := s.FindAuditChain(ctx, 0, 10)
		must(t, err, "FindAuditChain")
		wantEqual(t, chain, []tuango.AuditRecord{first, next}, "FindAuditChain")
		after, err := s.FindAuditChain(ctx, 1, 10)
		must(t, err, "FindAuditChain(after 1)")
		wantEqual(t, after, []tuango.AuditRecord{next}, "FindAuditChain(after 1)")
	})
	t.Run("the operator's list filters by actor, kind and time", func(t *testing.T) {
		ids := func(f tuango.AuditFilter) []string {
			f.Limit = 10
			rs, err := s.FindAudit(ctx, f)
			must(t, err, "FindAudit(%+v)", f)
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		wantEqual(t, ids(tuango.AuditFilter{ActorID: "usr_a"}), []string{c.ID, b.ID}, "by actor") // newest id first
		wantEqual(t, ids(tuango.AuditFilter{Kind: "money."}), []string{c.ID, a.ID}, "by kind prefix")
		wantEqual(t, ids(tuango.AuditFilter{Kind: "money.refund_granted"}), []string{c.ID}, "by kind")
		wantEqual(t, ids(tuango.AuditFilter{From: t0().Add(2 * time.Second), To: t0().Add(3 * time.Second)}), []string{b.ID}, "by time")
		wantEqual(t, ids(tuango.AuditFilter{Before: c.ID}), []string{b.ID, a.ID}, "paged")
	})
}
