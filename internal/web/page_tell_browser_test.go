package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
	"tuango/internal/webhook"
)

// An operator adds a webhook on its page (a wrong URL first, told what is
// wrong), an incident update reaches it, and the page shows the delivery.
func TestBrowserWebhooksPage(t *testing.T) {
	e := newEnvConfig(t, storetest.DSN(t), tuango.Config{WebhooksAllowPrivate: true})
	e.svc.SetWebhookSender(webhook.New(true))
	const secret = "browser-secret-0123456"
	var received atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body [4096]byte
		n, _ := r.Body.Read(body[:])
		if webhook.Verify(secret, body[:n], r.Header.Get(webhook.HeaderSignature)) {
			received.Add(1)
			return
		}
		http.Error(w, "bad signature", http.StatusUnauthorized)
	}))
	defer rc.Close()
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/webhooks")
	if got := b.text("#webhooks-empty"); got != "还没有订阅。" {
		t.Fatalf("an empty list says %q", got)
	}
	b.fill("接收地址（http 或 https）", "ftp://example.com/in")
	b.do(chromedp.SetValue(chromedp.CSS("#secret"), secret))
	b.fill("事件（逗号分隔，* 表示全部）", "incident.updated")
	b.click("button", "添加")
	if body := b.body(); !strings.Contains(body, "请填写 http:// 或 https:// 开头的公网地址") {
		t.Fatalf("a ftp URL shows no error:\n%s", body)
	}
	b.fill("接收地址（http 或 https）", rc.URL+"/in")
	b.do(chromedp.SetValue(chromedp.CSS("#secret"), secret))
	b.click("button", "添加")
	if got := b.text("#webhook-created"); !strings.Contains(got, rc.URL+"/in") {
		t.Fatalf("after adding: %q", got)
	}
	if strings.Contains(b.body(), secret) {
		t.Error("the page shows the secret")
	}
	ctx := context.Background()
	if err := e.svc.Announce(ctx, tuango.Announcement{ID: "inc_b-upd_1", Event: "incident.updated", Kind: tuango.NotifyIncident,
		Params: tuango.NotifyParams{Incident: "下单失败", Status: "identified"}, Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FanOutAnnouncements(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeliverWebhooks(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if received.Load() != 1 {
		t.Fatalf("the receiver got %d signed deliveries, want 1", received.Load())
	}
	b.open("/admin/webhooks")
	if got := b.text("#webhook-deliveries tbody tr td:nth-child(3)"); got != "已送达" {
		t.Errorf("the delivery's status shows %q, want 已送达", got)
	}
	if got := b.text("#delivery-counts"); got != "待发送 0 · 已送达 1 · 失败 0" {
		t.Errorf("the counts say %q", got)
	}
	b.screenshot("admin-webhooks")
	b.click("button", "删除")
	if got := b.text("#webhook-deleted"); !strings.Contains(got, "已删除") {
		t.Errorf("after deleting: %q", got)
	}
}

// A customer sends feedback about an order from its page (an empty one
// first, told to write something); the operator sees it in the queue and
// marks it handled.
func TestBrowserFeedback(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o := c.mustOrder(deal, 1)
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, me.Phone, "customer-pass")
	b.open("/orders/" + o.ID)
	b.click("link", "对这个订单有意见？反馈给我们")
	if got := b.text("#feedback-order"); got != "关于订单 "+o.ID {
		t.Fatalf("the form is about %q, want the order", got)
	}
	b.click("button", "提交反馈")
	if body := b.body(); !strings.Contains(body, "请填写反馈内容，最多 1,000 个字。") {
		t.Fatalf("an empty feedback shows no error:\n%s", body)
	}
	b.fill("反馈内容", "鸡蛋碎了两个")
	b.click("button", "提交反馈")
	if got := b.text("#feedback-sent"); !strings.Contains(got, "谢谢") {
		t.Fatalf("after sending: %q", got)
	}
	b.screenshot("feedback")
	b.click("button", "退出登录")

	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/feedback")
	if body := b.body(); !strings.Contains(body, "鸡蛋碎了两个") || !strings.Contains(body, o.ID) || !strings.Contains(body, me.Phone) {
		t.Fatalf("the queue lacks the feedback with its order and phone:\n%s", body)
	}
	b.screenshot("admin-feedback")
	b.click("button", "标记已处理")
	if got := b.text("#feedback-done"); got != "已标记为已处理。" {
		t.Errorf("after marking: %q", got)
	}
	if got := b.text("#feedback-empty"); got != "没有反馈。" {
		t.Errorf("the open queue after marking says %q", got)
	}
	b.open("/admin/feedback?status=handled")
	if !strings.Contains(b.body(), "鸡蛋碎了两个") {
		t.Error("the handled list lacks it")
	}
}
