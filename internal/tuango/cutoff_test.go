package tuango

import (
	"testing"
	"time"
)

func TestCityCutoff(t *testing.T) {
	cs := &City{Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	ny := &City{Name: "New York", TimeZone: "America/New_York", Cutoff: "22:30"}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("CutoffFor is the cutoff on the day before delivery", func(t *testing.T) {
		for _, tc := range []struct {
			city *City
			date string
			want time.Time
		}{
			{cs, "2026-11-26", utc("2026-11-25T23:00:00+08:00")},
			{cs, "2027-01-01", utc("2026-12-31T23:00:00+08:00")},
			{ny, "2026-03-09", utc("2026-03-08T22:30:00-04:00")}, // the day daylight saving starts
			{ny, "2026-11-02", utc("2026-11-01T22:30:00-05:00")}, // the day it ends
		} {
			got, err := tc.city.CutoffFor(tc.date)
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("%s CutoffFor(%s) = %v, %v; want %v", tc.city.Name, tc.date, got, err, tc.want)
			}
		}
	})
	t.Run("NextCutoff skips one too close and names the delivery date", func(t *testing.T) {
		for _, tc := range []struct {
			now      time.Time
			cut      time.Time
			delivery string
		}{
			{utc("2026-11-25T10:00:00+08:00"), utc("2026-11-25T23:00:00+08:00"), "2026-11-26"},
			{utc("2026-11-25T21:30:00+08:00"), utc("2026-11-26T23:00:00+08:00"), "2026-11-27"}, // 90 minutes is under the 2 h lead
			{utc("2026-11-25T23:30:00+08:00"), utc("2026-11-26T23:00:00+08:00"), "2026-11-27"},
		} {
			cut, delivery, err := cs.NextCutoff(tc.now, 2*time.Hour)
			if err != nil || !cut.Equal(tc.cut) || delivery != tc.delivery {
				t.Errorf("NextCutoff(%v) = %v, %s, %v; want %v, %s", tc.now, cut, delivery, err, tc.cut, tc.delivery)
			}
			if back, err := cs.CutoffFor(delivery); err != nil || !back.Equal(cut) {
				t.Errorf("CutoffFor(%s) = %v, %v; want NextCutoff's %v", delivery, back, err, cut)
			}
		}
	})
	t.Run("a bad cutoff or zone is an error", func(t *testing.T) {
		for _, c := range []*City{{Name: "x", TimeZone: "Asia/Shanghai", Cutoff: "25:00"}, {Name: "y", TimeZone: "Mars/Base", Cutoff: "23:00"}} {
			if _, err := c.CutoffFor("2026-11-26"); err == nil {
				t.Errorf("city %+v: CutoffFor = nil error", c)
			}
		}
		if _, err := cs.CutoffFor("26 Nov"); ErrorCode(err) != CodeInvalid {
			t.Errorf("CutoffFor(26 Nov) = %v, want validation_failed", err)
		}
	})
}
