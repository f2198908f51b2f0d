package tuango_test

import (
	"context"
	"errors"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// The test clock's t0 is 10:00 on 2026-11-25 in China.
func TestCloseCityCannotBeginInThePast(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	st := w.db.Store()
	pp, err := st.FindPickupPointByID(ctx, w.pp)
	must(t, err)
	cityClosures := func() int {
		t.Helper()
		cs, err := st.FindClosures(ctx, []string{pp.CityID}, nil, "2000-01-01")
		must(t, err)
		return len(cs)
	}
	before := cityClosures()
	t.Run("yesterday is refused naming from", func(t *testing.T) {
		_, err := w.svc.CloseCity(ctx, w.op, pp.CityID, "2026-11-24", "台风")
		var e *tuango.Error
		if !errors.As(err, &e) || e.Code != tuango.CodeInvalid || e.Field != "from" {
			t.Fatalf("CloseCity(yesterday) = %v, want %s naming from", err, tuango.CodeInvalid)
		}
		if n := cityClosures(); n != before {
			t.Errorf("%d city closures after the refusal, want %d", n, before)
		}
	})
	t.Run("today is taken", func(t *testing.T) {
		if _, err := w.svc.CloseCity(ctx, w.op, pp.CityID, "2026-11-25", "台风"); err != nil {
			t.Fatalf("CloseCity(today) = %v", err)
		}
		if n := cityClosures(); n != before+1 {
			t.Errorf("%d city closures, want %d", n, before+1)
		}
	})
}

func TestClosureInputCheck(t *testing.T) {
	const today = "2026-11-25"
	for _, tt := range []struct {
		name      string
		in        tuango.ClosureInput
		wantField string
	}{
		{"a closure from today is good", tuango.ClosureInput{From: today, To: "2026-11-27", Reason: "装修"}, ""},
		{"a bad from is named first", tuango.ClosureInput{From: "11/25", To: "x", Reason: ""}, "from"},
		{"a bad to comes next", tuango.ClosureInput{From: today, To: "x", Reason: ""}, "to"},
		{"to before from", tuango.ClosureInput{From: "2026-11-27", To: "2026-11-26", Reason: "装修"}, "to"},
		{"an empty reason", tuango.ClosureInput{From: today, To: today, Reason: "  "}, "reason"},
		{"a closure beginning yesterday", tuango.ClosureInput{From: "2026-11-24", To: today, Reason: "装修"}, "from"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Check(today)
			var e *tuango.Error
			got := ""
			if err != nil && errors.As(err, &e) {
				got = e.Field
			}
			if (err == nil) != (tt.wantField == "") || got != tt.wantField {
				t.Errorf("Check(%q) = %v, want field %q", today, err, tt.wantField)
			}
		})
	}
}
