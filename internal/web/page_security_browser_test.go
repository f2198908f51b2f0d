package web

import (
	"strings"
	"testing"

	"tuango/internal/storetest"
)

// In a real browser, with detection on and the WAF blocking (the pages
// pass it): the operator mistypes an address on the security page and is
// told what is wrong next to the field, blocks the address, sees it
// refused and listed, and removes it again.
func TestBrowserSecurityPage(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFBlock)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/security")
	if body := b.body(); !strings.Contains(body, "目前没有封禁") {
		t.Fatalf("the security page of an empty list:\n%s", body)
	}
	b.fill("IP 地址或网段", "203.0.113")
	b.fill("原因", "凌晨扫描了 300 个不存在的路径")
	b.click("button", "添加")
	if got := b.text("#cidr-error"); !strings.Contains(got, "请填写 IP 地址") {
		t.Fatalf("the error next to the address = %q", got)
	}
	b.screenshot("security-error")
	b.fill("IP 地址或网段", "203.0.113.7")
	b.fill("持续小时数（留空为永久）", "24")
	b.click("button", "添加")
	if got := b.text("#blocks"); !strings.Contains(got, "203.0.113.7/32") || !strings.Contains(got, "凌晨扫描了 300 个不存在的路径") || !strings.Contains(got, "运营人员") {
		t.Fatalf("the block list after adding = %q", got)
	}
	b.screenshot("security-blocked")
	wantBanned(t, e.anon().from("203.0.113.7", "GET", "/api/v1/pickup-points", nil), "the blocked address")
	b.click("button", "删除")
	if body := b.body(); !strings.Contains(body, "目前没有封禁") || !strings.Contains(body, "已将 203.0.113.7/32 移出名单") {
		t.Errorf("after removing:\n%s", body)
	}
	if r := e.anon().from("203.0.113.7", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
		t.Errorf("the address after removal = %d, want 200", r.status)
	}
}
