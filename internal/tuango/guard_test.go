package tuango_test

import (
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// The rules of a ban, tried against a real store: one live ban per
// source however many detections race for it, never a ban of an allowed
// source, a repeat that doubles, an operator's block that does not count
// as a repeat, and nobody but staff touching the lists.
func TestBanRules(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := t.Context()
	t.Run("racing detections make one ban", func(t *testing.T) {
		var wg sync.WaitGroup
		made := make(chan bool, 8)
		for range 8 {
			wg.Go(func() {
				_, m, err := w.svc.BanSource(ctx, "192.0.2.1", "http-probing", "")
				if err != nil {
					t.Error(err)
				}
				made <- m
			})
		}
		wg.Wait()
		close(made)
		n := 0
		for m := range made {
			if m {
				n++
			}
		}
		rs, err := w.svc.ListSourceRules(ctx, w.op, tuango.ListBlock)
		must(t, err)
		if n != 1 || len(rs) != 1 || !rs[0].ExpiresAt.Equal(t0.Add(4*time.Hour)) {
			t.Errorf("made %d bans, list %+v; want one of 4 h", n, rs)
		}
		recs, err := w.svc.ListAudit(ctx, w.op, tuango.AuditFilter{Kind: tuango.AuditBan})
		must(t, err)
		if len(recs) != 1 || recs[0].Subject != "ip:192.0.2.1/32" {
			t.Errorf("audit records of the ban: %+v, want one for ip:192.0.2.1/32", recs)
		}
	})
	t.Run("an allowed source is not banned", func(t *testing.T) {
		_, err := w.svc.AddSourceRule(ctx, w.op, tuango.ListAllow, tuango.SourceRuleInput{CIDR: "192.0.2.128/25", Reason: "office"})
		must(t, err)
		if _, _, err := w.svc.BanSource(ctx, "192.0.2.200", "http-probing", ""); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("BanSource(allowed) = %v, want conflict", err)
		}
	})
	t.Run("a repeat doubles, an operator's block is no repeat", func(t *testing.T) {
		_, err := w.svc.AddSourceRule(ctx, w.op, tuango.ListBlock, tuango.SourceRuleInput{CIDR: "192.0.2.2", Reason: "manual", ExpiresAt: t0.Add(time.Hour)})
		must(t, err)
		_, err = w.svc.RemoveSourceRules(ctx, w.op, tuango.ListBlock, "192.0.2.2")
		must(t, err)
		b, _, err := w.svc.BanSource(ctx, "192.0.2.2", "http-probing", "")
		must(t, err)
		if !b.ExpiresAt.Equal(t0.Add(4 * time.Hour)) {
			t.Errorf("first detection after an operator's block ends %s, want 4 h", b.ExpiresAt)
		}
		_, err = w.svc.RemoveSourceRules(ctx, w.op, tuango.ListBlock, "192.0.2.2")
		must(t, err)
		b, _, err = w.svc.BanSource(ctx, "192.0.2.2", "http-sensitive-files", "")
		must(t, err)
		if !b.ExpiresAt.Equal(t0.Add(8 * time.Hour)) {
			t.Errorf("second detection ends %s, want 8 h", b.ExpiresAt)
		}
	})
	t.Run("only staff touch the lists", func(t *testing.T) {
		c := tuango.Actor{UserID: "usr_x", Role: tuango.RoleCustomer}
		if _, err := w.svc.AddSourceRule(ctx, c, tuango.ListBlock, tuango.SourceRuleInput{CIDR: "192.0.2.9", Reason: "x"}); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("customer AddSourceRule = %v, want forbidden", err)
		}
		if _, err := w.svc.AddSourceRule(ctx, tuango.Actor{}, tuango.ListBlock, tuango.SourceRuleInput{CIDR: "192.0.2.9", Reason: "x"}); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("no actor AddSourceRule = %v, want forbidden", err)
		}
		if _, err := w.svc.ListSourceRules(ctx, c, tuango.ListAllow); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("customer ListSourceRules = %v, want forbidden", err)
		}
		r, err := w.svc.AddSourceRule(ctx, tuango.CLIActor, tuango.ListBlock, tuango.SourceRuleInput{CIDR: "2001:db8::1", Reason: "x"})
		if err != nil || r.CreatedBy != "cli" || r.CIDR != "2001:db8::1/128" {
			t.Errorf("CLI AddSourceRule = %+v, %v", r, err)
		}
	})
}
