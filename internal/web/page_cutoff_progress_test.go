package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// A cutoff running on some node shows its progress on the operator's day
// page, which reloads itself until the summary is there, in both
// languages; the API answers 404 not_found saying how far it is.
func TestOperatorSeesARunningCutoffsProgress(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// What a node that is four orders into a cutoff of ten leaves on the
	// cutoff's row.
	must(t, e.store.CreateCutoff(ctx, &tuango.CutoffRun{CityID: e.cityID, DeliveryDate: dayDate, StartedAt: e.clock.Now(), StartedBy: tuango.WorkerID}))
	if ok, err := e.store.SetCutoffTotal(ctx, e.cityID, dayDate, 10); err != nil || !ok {
		t.Fatalf("SetCutoffTotal = %v, %v", ok, err)
	}
	if ok, err := e.store.AddCutoffMoved(ctx, e.cityID, dayDate, 4); err != nil || !ok {
		t.Fatalf("AddCutoffMoved = %v, %v", ok, err)
	}

	var prob struct{ Code, Detail string }
	r := e.operator.mustDo("GET", "/api/v1/admin/cutoffs/"+e.cityID+"/"+dayDate, nil, 404, nil)
	if err := json.Unmarshal(r.body, &prob); err != nil || prob.Code != "not_found" || !strings.Contains(prob.Detail, "still running: 4 of 10 orders moved") {
		t.Errorf("GET the running cutoff = %s, want not_found saying 4 of 10 moved", r.body)
	}

	q := "?city_id=" + e.cityID + "&date=" + dayDate
	refresh := `<meta http-equiv="refresh" content="3; url=/admin/day?city_id=` + e.cityID + `&amp;date=` + dayDate + `">`
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	for _, tc := range []struct{ path, want string }{
		{"/admin/day" + q, "截单进行中：已处理 4 / 10 个订单"},
		{"/admin/day" + q + "&lang=en", "Running: 4 of 10 orders moved"},
	} {
		p := b.get(tc.path)
		for _, want := range []string{tc.want, refresh, `<progress max="10" value="4"`} {
			if p.status != 200 || !strings.Contains(p.body, want) {
				t.Errorf("GET %s = %d, lacks %q:\n%s", tc.path, p.status, want, p.body)
			}
		}
		if strings.Contains(p.body, `id="cutoff-summary"`) || strings.Contains(p.body, `action="/admin/cutoffs"`) {
			t.Errorf("GET %s shows a summary or the cutoff's form while the cutoff runs", tc.path)
		}
	}

	// Finished: the summary, and no more reloading.
	c, err := e.store.FindCutoff(ctx, e.cityID, dayDate)
	must(t, err)
	c.FinishedAt = e.clock.Now()
	if ok, err := e.store.FinishCutoff(ctx, c); err != nil || !ok {
		t.Fatalf("FinishCutoff = %v, %v", ok, err)
	}
	p := b.get("/admin/day" + q)
	if !strings.Contains(p.body, `id="cutoff-summary"`) || strings.Contains(p.body, `http-equiv="refresh"`) {
		t.Errorf("the day page after the cutoff = %d, want the summary and no refresh:\n%s", p.status, p.body)
	}
}
