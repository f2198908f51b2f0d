package web

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// An operator's incident, through the API: it shows in the JSON, on the
// status page, in the feed and as a banner on every page, with each
// update's recovery time and what it means for the day; bad input writes
// nothing.
func TestOperatorsIncidentOnTheStatusPage(t *testing.T) {
	e := newEnv(t)
	var before statusSummary
	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &before)
	if before.Status.Indicator != "none" || before.Status.Description != "All Systems Operational" || len(before.Incidents) != 0 {
		t.Fatalf("a fresh status = %+v, want all operational", before.Status)
	}

	eta := testStart.Add(2 * time.Hour).Format(time.RFC3339)
	bad := []struct {
		name string
		body map[string]any
		code string
	}{
		{"no name", map[string]any{"components": []string{"ordering"}, "body": "x"}, "name"},
		{"an unknown component", map[string]any{"name": "n", "components": []string{"kitchen"}, "body": "x"}, "components"},
		{"components of the wrong shape", map[string]any{"name": "n", "components": "ordering", "body": "x"}, "components"},
		{"an eta that is no time", map[string]any{"name": "n", "components": []string{"ordering"}, "body": "x", "eta": "soon"}, "eta"},
		{"an unknown field", map[string]any{"name": "n", "components": []string{"ordering"}, "body": "x", "severity": 3}, ""},
	}
	for _, c := range bad {
		r := e.operator.do("POST", "/api/v1/admin/incidents", c.body)
		if r.status != 400 || (c.code != "" && r.problem().Field != c.code) {
			t.Errorf("%s: = %d %s, want 400 on %q", c.name, r.status, r.body, c.code)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM incidents`); n != 0 {
		t.Fatalf("refused requests stored %d incidents", n)
	}
	if r := e.customer().do("POST", "/api/v1/admin/incidents", map[string]any{"name": "n", "components": []string{"ordering"}, "body": "x"}); r.status != 403 {
		t.Errorf("a customer opening an incident = %d, want 403", r.status)
	}

	var inc incidentView
	e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"name": "长沙下单变慢", "impact": "major",
		"components": []map[string]string{{"id": "ordering", "status": "degraded_performance"}, {"id": "city:" + e.cityID, "status": "partial_outage"}},
		"body":       "支付渠道响应慢，正在处理。", "eta": eta, "cutoff": "at_risk", "delivery": "none", "settlement": "none"}, 201, &inc)
	if inc.Status != "investigating" || len(inc.Updates) != 1 || inc.Updates[0].ETA == "" {
		t.Fatalf("opened = %+v", inc)
	}

	var sum statusSummary
	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &sum)
	if sum.Status.Indicator != "major" || len(sum.Incidents) != 1 || sum.Incidents[0].ID != inc.ID {
		t.Fatalf("status after opening = %+v with %d incidents", sum.Status, len(sum.Incidents))
	}
	states := map[string]string{}
	for _, c := range sum.Components {
		states[c.ID] = c.Status
	}
	if states["ordering"] != "degraded_performance" || states["city:"+e.cityID] != "partial_outage" || states["storefront"] != "operational" {
		t.Errorf("component states = %v", states)
	}

	page := (&client{e: e}).do("GET", "/status?lang=en", nil)
	for _, want := range []string{"长沙下单变慢", "Investigating", "Cutoff: may be late; tomorrow&#39;s delivery: as planned; settlement: as planned.", "Expected back by 2026-11-25 12:00 (Beijing time).", "Degraded performance"} {
		if page.status != 200 || !strings.Contains(string(page.body), want) {
			t.Errorf("/status = %d, lacks %q", page.status, want)
		}
	}
	home := (&client{e: e}).do("GET", "/?lang=zh", nil)
	if !strings.Contains(string(home.body), `id="incident-banner"`) || !strings.Contains(string(home.body), "服务故障：长沙下单变慢（调查中）") {
		t.Errorf("the storefront shows no incident banner:\n%s", home.body)
	}

	r := e.operator.do("POST", "/api/v1/admin/incidents/"+inc.ID+"/postmortem", map[string]any{"body": "too early"})
	if r.status != 409 {
		t.Errorf("a postmortem before resolving = %d, want 409", r.status)
	}
	apology := map[string]any{"amount_off_fen": 500, "min_spend_fen": 2000, "valid_days": 7}
	if r := e.operator.do("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", apology); r.status != 409 {
		t.Errorf("apology coupons before resolving = %d %s, want 409", r.status, r.body)
	}
	if r := e.customer().do("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", apology); r.status != 403 {
		t.Errorf("apology coupons by a customer = %d, want 403", r.status)
	}
	if r := e.operator.do("POST", "/api/v1/admin/incidents/inc_missing/apology-coupons", apology); r.status != 404 {
		t.Errorf("apology coupons of a missing incident = %d, want 404", r.status)
	}
	for _, st := range []string{"identified", "monitoring", "resolved"} {
		e.clock.Advance(time.Minute)
		e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/updates", map[string]any{"status": st, "body": "now " + st}, 201, nil)
	}
	if r := e.operator.do("POST", "/api/v1/admin/incidents/"+inc.ID+"/updates", map[string]any{"status": "monitoring", "body": "again"}); r.status != 409 {
		t.Errorf("an update on a resolved incident = %d, want 409", r.status)
	}
	if r := e.operator.do("POST", "/api/v1/admin/incidents/inc_missing/updates", map[string]any{"status": "monitoring", "body": "x"}); r.status != 404 {
		t.Errorf("an update on a missing incident = %d, want 404", r.status)
	}
	e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/postmortem", map[string]any{"body": "发生了什么：支付渠道限流。\n\n影响：212 笔订单延迟支付。\n\n改进：增加第二渠道。"}, 200, nil)
	if r := e.operator.do("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", map[string]any{"amount_off_fen": 500, "min_spend_fen": 2000, "valid_days": 0}); r.status != 400 || r.problem().Field != "valid_days" {
		t.Errorf("apology coupons valid 0 days = %d %s, want 400 on valid_days", r.status, r.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM coupons`); n != 0 {
		t.Errorf("refused apology calls left %d coupons", n)
	}
	var issued struct{ Issued int }
	e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", apology, 200, &issued)
	if issued.Issued != 0 {
		t.Errorf("an incident in which no order failed issued %d apology coupons, want 0", issued.Issued)
	}

	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &sum)
	if sum.Status.Indicator != "none" || len(sum.Incidents) != 0 || len(sum.Resolved) != 1 || len(sum.Resolved[0].Updates) != 4 || sum.Resolved[0].Postmortem == "" {
		t.Errorf("after resolving: %+v, %d open, %d resolved", sum.Status, len(sum.Incidents), len(sum.Resolved))
	}
	page = (&client{e: e}).do("GET", "/status?lang=zh", nil)
	if !strings.Contains(string(page.body), "复盘报告") || !strings.Contains(string(page.body), "影响：212 笔订单延迟支付。") {
		t.Errorf("/status lacks the postmortem")
	}
	home = (&client{e: e}).do("GET", "/", nil)
	if strings.Contains(string(home.body), `id="incident-banner"`) {
		t.Error("the banner stays after the incident is resolved")
	}

	feed := (&client{e: e}).do("GET", "/status/feed.atom?lang=en", nil)
	var f atomFeed
	if err := xml.Unmarshal(feed.body, &f); err != nil || feed.status != 200 || !strings.HasPrefix(feed.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed = %d %s: %v", feed.status, feed.header.Get("Content-Type"), err)
	}
	if len(f.Entries) != 4 || !strings.Contains(f.Entries[0].Title, "长沙下单变慢") || f.Updated == "" {
		t.Errorf("feed has %d entries (want 4), first %+v", len(f.Entries), f.Entries)
	}
}

// A maintenance scheduled within a day shows a notice on every page, and
// puts its components under maintenance while it runs.
func TestScheduledMaintenance(t *testing.T) {
	e := newEnv(t)
	starts, ends := testStart.Add(3*time.Hour), testStart.Add(4*time.Hour)
	var m incidentView
	e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"kind": "maintenance", "name": "数据库升级", "components": []string{"ordering"},
		"body": "升级期间暂停下单。", "starts_at": starts.Format(time.RFC3339), "ends_at": ends.Format(time.RFC3339)}, 201, &m)
	if m.Status != "scheduled" || m.Impact != "maintenance" {
		t.Fatalf("maintenance = %s %s", m.Status, m.Impact)
	}
	var sum statusSummary
	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &sum)
	if len(sum.Scheduled) != 1 || sum.Status.Indicator != "none" {
		t.Errorf("before it starts: %d scheduled, indicator %s", len(sum.Scheduled), sum.Status.Indicator)
	}
	home := (&client{e: e}).do("GET", "/?lang=en", nil)
	if !strings.Contains(string(home.body), "Planned maintenance: 数据库升级, 2026-11-25 13:00 to 2026-11-25 14:00 (Beijing time).") {
		t.Errorf("no maintenance notice on the storefront")
	}
	e.clock.Advance(3*time.Hour + time.Minute)
	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &sum)
	for _, c := range sum.Components {
		if c.ID == "ordering" && c.Status != "under_maintenance" {
			t.Errorf("ordering during the maintenance is %s", c.Status)
		}
	}
	if sum.Status.Indicator != "maintenance" {
		t.Errorf("indicator during the maintenance = %s", sum.Status.Indicator)
	}
	e.clock.Advance(time.Hour) // past its end, never marked completed
	(&client{e: e}).mustDo("GET", "/api/v1/status", nil, 200, &sum)
	if sum.Status.Indicator != "none" || componentStatus(sum, "ordering") != "operational" {
		t.Errorf("after the window: indicator %s, ordering %s", sum.Status.Indicator, componentStatus(sum, "ordering"))
	}
	if home := (&client{e: e}).do("GET", "/", nil); strings.Contains(string(home.body), `id="incident-banner"`) {
		t.Error("the maintenance notice stays after its window")
	}
}
