package tuango_test

import (
	"strings"
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

// TestBanIPv6Source: detection bans an IPv6 client as the /64 it can roam
// in, finds that ban (and counts earlier ones) by the prefix whichever of
// its addresses it sees, bans no range wider than one source, and leaves
// the allow list winning.
func TestBanIPv6Source(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := t.Context()
	t.Run("an address is banned as its /64, the reason naming the address", func(t *testing.T) {
		b, made, err := w.svc.BanSource(ctx, "2001:db8:1:2:aaaa::1", "http-probing", "GET /.env")
		must(t, err)
		if !made || b.CIDR != "2001:db8:1:2::/64" || !strings.Contains(b.Reason, "2001:db8:1:2:aaaa::1") || !b.ExpiresAt.Equal(t0.Add(tuango.FirstBan)) {
			t.Errorf("BanSource = %+v, made %v; want a new 4 h ban of 2001:db8:1:2::/64 whose reason names 2001:db8:1:2:aaaa::1", b, made)
		}
		recs, err := w.svc.ListAudit(ctx, w.op, tuango.AuditFilter{Kind: tuango.AuditBan})
		must(t, err)
		if len(recs) != 1 || recs[0].Subject != "ip:2001:db8:1:2::/64" || !strings.Contains(recs[0].Detail, "2001:db8:1:2:aaaa::1") {
			t.Errorf("audit records of the ban: %+v, want one for ip:2001:db8:1:2::/64 naming the address", recs)
		}
	})
	t.Run("another address of the /64 finds the ban in force", func(t *testing.T) {
		b, made, err := w.svc.BanSource(ctx, "2001:db8:1:2:ffff:ffff:ffff:fffe", "http-sensitive-files", "")
		must(t, err)
		if made || b.CIDR != "2001:db8:1:2::/64" {
			t.Errorf("BanSource(same /64) = %+v, made %v; want the ban in force, not a new one", b, made)
		}
		if rs, err := w.svc.ListSourceRules(ctx, w.op, tuango.ListBlock); err != nil || len(rs) != 1 {
			t.Errorf("block list = %+v, %v; want the one ban", rs, err)
		}
	})
	t.Run("a repeat from another address of the /64 doubles", func(t *testing.T) {
		_, err := w.svc.RemoveSourceRules(ctx, w.op, tuango.ListBlock, "2001:db8:1:2::/64")
		must(t, err)
		b, made, err := w.svc.BanSource(ctx, "2001:db8:1:2::77", "http-probing", "")
		must(t, err)
		if !made || b.CIDR != "2001:db8:1:2::/64" || !b.ExpiresAt.Equal(t0.Add(8*time.Hour)) {
			t.Errorf("second detection = %+v, made %v; want a new 8 h ban of the /64", b, made)
		}
	})
	t.Run("only the range one source makes", func(t *testing.T) {
		for _, tc := range []struct {
			in, want string // want "": refused as invalid
		}{
			{"2001:db8:9::/48", ""},
			{"2001:db8:9:1::/63", ""},
			{"192.0.2.0/24", ""},
			{"2001:db8:9:1::/64", "2001:db8:9:1::/64"},
			{"2001:db8:9:2::5/128", "2001:db8:9:2::/64"},
			{"::ffff:192.0.2.77", "192.0.2.77/32"},
			{"192.0.2.78/32", "192.0.2.78/32"},
		} {
			b, _, err := w.svc.BanSource(ctx, tc.in, "http-probing", "")
			switch {
			case tc.want == "" && (tuango.ErrorCode(err) != tuango.CodeInvalid || !strings.Contains(err.Error(), "/64")):
				t.Errorf("BanSource(%s) = %+v, %v; want invalid, saying what detection bans", tc.in, b, err)
			case tc.want != "" && (err != nil || b.CIDR != tc.want):
				t.Errorf("BanSource(%s) = %+v, %v; want a ban of %s", tc.in, b, err, tc.want)
			}
		}
	})
	t.Run("an allowed address is not banned; its /64 is, the allow rule winning for it", func(t *testing.T) {
		_, err := w.svc.AddSourceRule(ctx, w.op, tuango.ListAllow, tuango.SourceRuleInput{CIDR: "2001:db8:5:5::7", Reason: "the office's gateway"})
		must(t, err)
		if _, _, err := w.svc.BanSource(ctx, "2001:db8:5:5::7", "http-probing", ""); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("BanSource(allowed address) = %v, want conflict", err)
		}
		b, _, err := w.svc.BanSource(ctx, "2001:db8:5:5::8", "http-probing", "")
		if err != nil || b.CIDR != "2001:db8:5:5::/64" {
			t.Errorf("BanSource(a neighbour of the allowed address) = %+v, %v; want a ban of 2001:db8:5:5::/64", b, err)
		}
		_, err = w.svc.AddSourceRule(ctx, w.op, tuango.ListAllow, tuango.SourceRuleInput{CIDR: "2001:db8:6::/48", Reason: "a partner"})
		must(t, err)
		if _, _, err := w.svc.BanSource(ctx, "2001:db8:6:0:1::1", "http-probing", ""); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("BanSource(inside an allowed /48) = %v, want conflict", err)
		}
	})
}
