package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The operator opens an incident on /admin/incidents (a missing title is
// told in Chinese beside its field), posts an update, and sees it on the
// status page; a customer's storefront carries the banner, whose link
// leads to the status page. Resolved, the incident takes a postmortem that
// the status page shows, and the banner is gone.
func TestBrowserIncidentOnTheStatusPage(t *testing.T) {
	e := newEnv(t)
	e.newDeal(100, 5, 990)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/incidents")
	b.fill("已知情况，以及用户应该怎么做", "支付渠道响应慢，下单可能失败。")
	b.do(chromedp.Click("checkbox 下单与支付", byName("checkbox", "下单与支付"), chromedp.NodeVisible))
	b.click("button", "发布")
	if got := b.text("#name-error"); got != "请用不超过 200 个字写明出了什么问题。" {
		t.Fatalf("a missing title: %q", got)
	}
	b.fill("标题", "长沙下单变慢")
	b.click("button", "发布")
	if got := b.text("#incidents-done"); got != "已发布。" {
		t.Fatalf("after opening: %q", got)
	}
	b.do(chromedp.SetValue("combobox 新状态", "identified", byName("combobox", "新状态")))
	b.fill("更新内容", "已定位：支付渠道限流，正在切换。")
	b.click("button", "发布更新")
	if got := b.text("#incidents-done"); got != "更新已发布。" {
		t.Fatalf("after the update: %q", got)
	}
	b.screenshot("admin-incidents")

	b.open("/status")
	body := b.body()
	for _, want := range []string{"长沙下单变慢", "已定位", "已定位：支付渠道限流，正在切换。", "部分服务中断"} {
		if !strings.Contains(body, want) {
			t.Errorf("/status lacks %q", want)
		}
	}
	if got := b.text(`#components tr[data-component="ordering"] td`); got != "部分中断" {
		t.Errorf("ordering on /status = %q, want 部分中断", got)
	}
	b.screenshot("status")

	b.open("/")
	if got := b.text("#incident-banner"); !strings.Contains(got, "服务故障：长沙下单变慢（已定位）") {
		t.Errorf("banner = %q", got)
	}
	b.click("link", "查看服务状态")
	if !strings.HasSuffix(b.location(), "/status") {
		t.Errorf("the banner's link led to %s", b.location())
	}

	b.open("/admin/incidents")
	b.do(chromedp.SetValue("combobox 新状态", "resolved", byName("combobox", "新状态")))
	b.fill("更新内容", "已恢复。")
	b.click("button", "发布更新")
	b.fill("复盘：发生了什么、影响有多大（数字）、我们将改进什么", "发生了什么：支付渠道限流。\n\n影响：37 笔支付延迟。\n\n改进：接入第二渠道。")
	b.click("button", "发布复盘报告")
	if got := b.text("#incidents-done"); got != "复盘报告已发布。" {
		t.Fatalf("after the postmortem: %q", got)
	}
	b.open("/status")
	if body := b.body(); !strings.Contains(body, "复盘报告") || !strings.Contains(body, "影响：37 笔支付延迟。") || !strings.Contains(body, "所有服务运行正常") {
		t.Errorf("/status after the postmortem lacks it or the all-clear")
	}
	b.open("/")
	if b.has("link", "查看服务状态") {
		t.Error("the banner stays after the incident is resolved")
	}
}
