package web

import (
	"context"
	"net/http/httptest"
	"testing"

	"tuango/internal/tuango"
)

// apiLang reads any Accept-Language header, however malformed, as English
// or Chinese, Chinese unless English is asked for first.
func FuzzAPILang(f *testing.F) {
	for _, s := range []string{"", "en", "en-US,en;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8", "fr-FR", "*", "en;q=abc", ";;;,,", "zh-Hant-TW", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/api/v1/me/notifications", nil)
		r.Header.Set("Accept-Language", header)
		if got := apiLang(r); got != langZH && got != langEN {
			t.Fatalf("apiLang(%q) = %v, want zh or en", header, got)
		}
	})
}

func TestAPILang(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   string
	}{{"", "zh-Hans"}, {"en", "en"}, {"en-GB,en;q=0.9", "en"}, {"zh-CN,en;q=0.5", "zh-Hans"}, {"fr,en;q=0.5", "en"}, {"fr", "zh-Hans"}, {"garbage;;q=", "zh-Hans"}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.header)
		if got := apiLang(r).String(); got != tt.want {
			t.Errorf("apiLang(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

// Past the cutoff a closed point's orders are on the day's lists: the
// cancel counts them and leaves them, to be moved.
func TestClosedPointConfirmedOrdersAreLeftToMove(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, false)
	e.operator.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.ppID+"/closures", map[string]any{"from": dayDate, "to": dayDate, "reason": "停电"}, 200, nil)
	var got cancelOrdersView
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points/"+e.ppID+"/cancel-orders", map[string]any{"delivery_date": dayDate}, 200, &got)
	if got.Cancelled != 0 || got.Confirmed != 3 || got.RefundedFen != 0 {
		t.Errorf("cancel after the cutoff = %+v, want 3 confirmed left and none cancelled", got)
	}
	for _, o := range sc.orders {
		if n := e.count(`SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'confirmed'`, o.ID); n != 1 {
			t.Errorf("order %s is no longer confirmed", o.ID)
		}
	}
	if n, err := e.svc.DeliverNotifications(context.Background(), 100); err != nil || n != 3 { // the three confirmations only
		t.Errorf("DeliverNotifications = %d, %v; want the 3 confirmations", n, err)
	}
	if items := notificationsOf(sc.buyers[0], ""); len(items) != 1 || items[0].Kind != string(tuango.NotifyConfirmed) {
		t.Errorf("the customer was told %+v, want only the confirmation", items)
	}
}

func TestIncidentUpdateWording(t *testing.T) {
	m := &tuango.Message{Kind: tuango.NotifyIncident, Params: tuango.NotifyParams{Incident: "下单失败", Status: "identified", ETA: "2026-11-25T03:00:00Z", Body: "数据库正在恢复"}}
	for lang, want := range map[string]string{
		"zh": "【已找到原因】下单失败：数据库正在恢复 预计恢复时间：2026-11-25 11:00。",
		"en": "[Identified] 下单失败: 数据库正在恢复 Expected back by 2026-11-25 11:00.",
	} {
		if got := NotificationText(lang, m); got != want {
			t.Errorf("NotificationText(%s) = %q, want %q", lang, got, want)
		}
	}
	m.Params.ETA = ""
	if got, want := NotificationText("en", m), "[Identified] 下单失败: 数据库正在恢复"; got != want {
		t.Errorf("without an ETA: %q, want %q", got, want)
	}
}
