package web

import (
	"net/url"
	"strings"
	"testing"
)

// chinese is a message of the catalogue in Chinese, the pages' language.
func chinese(t *testing.T, key string) string {
	t.Helper()
	for _, m := range messages {
		if m.key == key {
			return m.zh
		}
	}
	t.Fatalf("no message %q", key)
	return ""
}

// A form with several fields at fault names every one of them at once,
// in the page's language, answers 400 and writes nothing. testStart is
// 2026-11-25 10:00 in 长沙, so the 24th is in the past.
func TestFormsNameEveryFieldAtFault(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	var inc struct{ ID string }
	e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"name": "长沙下单变慢", "impact": "major",
		"components": []map[string]string{{"id": "ordering", "status": "degraded_performance"}}, "body": "正在处理。"}, 201, &inc)

	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	leader := newBrowser(t, e.srv.URL)
	leader.logIn(sc.leaderPhone, "operator-pass")
	writes := func() [4]int {
		return [4]int{e.count(`SELECT COUNT(*) FROM pickup_point_closures`), e.count(`SELECT COUNT(*) FROM city_closures`),
			e.count(`SELECT COUNT(*) FROM incidents`), e.count(`SELECT COUNT(*) FROM incident_updates`)}
	}
	for _, tt := range []struct {
		name       string
		b          *browser
		formPage   string // where the form is, for its CSRF token
		path       string
		form       url.Values
		wantFields []string // message ids
	}{
		{"the leader's closure with a past from, a bad to and no reason", leader, "/leader", "/leader/closures",
			url.Values{"from": {"2026-11-24"}, "to": {"11/30"}, "reason": {" "}},
			[]string{"rule.closure.from", "rule.closure.to", "rule.closure.reason"}},
		{"the leader's closure with a bad from, a to before today and no reason", leader, "/leader", "/leader/closures",
			url.Values{"from": {"tomorrow"}, "to": {"2026-11-01"}, "reason": {""}},
			[]string{"rule.closure.from", "rule.closure.to", "rule.closure.reason"}},
		{"the operator's point closure with a bad from, a bad to and no reason", op, "/admin/pickup-points/" + e.ppID + "/closure",
			"/admin/pickup-points/" + e.ppID + "/closures",
			url.Values{"date": {dayDate}, "from": {"2026-02-30"}, "to": {""}, "reason": {""}},
			[]string{"rule.closure.from", "rule.closure.to", "rule.closure.reason"}},
		{"the city closure for yesterday without a reason", op, "/admin/day?city_id=" + e.cityID + "&date=" + dayDate,
			"/admin/cities/" + e.cityID + "/closures",
			url.Values{"date": {"2026-11-24"}, "reason": {""}},
			[]string{"rule.city_closure.date", "rule.city_closure.reason"}},
		{"an incident with no name, no component, no body, a bad impact and a past ETA", op, "/admin/incidents", "/admin/incidents",
			url.Values{"kind": {"incident"}, "name": {""}, "impact": {"huge"}, "state": {"partial_outage"}, "body": {""}, "eta": {"2026-11-25T09:00"}},
			[]string{"rule.incident.name", "rule.incident.impact", "rule.incident.components", "rule.incident.body", "rule.incident.eta"}},
		{"a maintenance without its window, a name or a body", op, "/admin/incidents", "/admin/incidents",
			url.Values{"kind": {"maintenance"}, "name": {""}, "components": {"ordering"}, "body": {""}, "starts_at": {"soon"}},
			[]string{"rule.incident.time", "rule.incident.name", "rule.incident.body"}},
		{"an update with a bad status, no body, a past ETA and a bad effect", op, "/admin/incidents", "/admin/incidents/" + inc.ID + "/updates",
			url.Values{"status": {"fixed"}, "body": {""}, "eta": {"2026-11-25T09:00"}, "cutoff": {"late"}},
			[]string{"rule.incident.status", "rule.incident.body", "rule.incident.eta", "rule.incident.cutoff"}},
		{"an update with an unreadable ETA and no body", op, "/admin/incidents", "/admin/incidents/" + inc.ID + "/updates",
			url.Values{"status": {"identified"}, "body": {""}, "eta": {"later"}},
			[]string{"rule.incident.time", "rule.incident.body"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"csrf": {tt.b.get(tt.formPage).csrf(t)}}
			for k, v := range tt.form {
				form[k] = v
			}
			before := writes()
			p := tt.b.post(tt.path, form)
			if p.status != 400 {
				t.Errorf("POST %s = %d, want 400:\n%s", tt.path, p.status, p.body)
			}
			for _, key := range tt.wantFields {
				if msg := chinese(t, key); !strings.Contains(p.body, msg) {
					t.Errorf("POST %s lacks %s (%q):\n%s", tt.path, key, msg, p.body)
				}
			}
			if got := writes(); got != before {
				t.Errorf("rows (point closures, city closures, incidents, updates) = %v after the refused form, want %v", got, before)
			}
		})
	}
}
