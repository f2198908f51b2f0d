package web

import (
	"fmt"
	"testing"
	"time"
)

func TestLeakyBucket(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	t.Run("ten distinct misses within seconds fire on the tenth", func(t *testing.T) {
		d := newDetector()
		for i := range 10 {
			fired := d.add(scProbing, "a", fmt.Sprint(i), t0.Add(time.Duration(i)*300*time.Millisecond))
			if fired != (i == 9) {
				t.Fatalf("miss %d fired = %v", i+1, fired)
			}
		}
	})
	t.Run("one miss per leak never fills the bucket", func(t *testing.T) {
		d := newDetector()
		for i := range 100 {
			if d.add(scProbing, "a", fmt.Sprint(i), t0.Add(time.Duration(i)*scProbing.leak)) {
				t.Fatalf("miss %d fired", i+1)
			}
		}
	})
	t.Run("a path counted once while it is in the bucket", func(t *testing.T) {
		d := newDetector()
		for i := range 50 {
			if d.add(scProbing, "a", "/same", t0.Add(time.Duration(i)*time.Millisecond)) {
				t.Fatalf("the same path fired at %d", i+1)
			}
		}
	})
	t.Run("sources have their own buckets", func(t *testing.T) {
		d := newDetector()
		for i := range 9 {
			d.add(scProbing, "a", fmt.Sprint(i), t0)
			d.add(scProbing, "b", fmt.Sprint(i), t0)
		}
		if d.add(scProbing, "c", "x", t0) {
			t.Error("a third source fired on its first miss")
		}
	})
	t.Run("memory is bounded", func(t *testing.T) {
		d := newDetector()
		for i := range 3 * detectorMaxBuckets {
			d.add(scCrawl, fmt.Sprint(i), "/", t0)
		}
		if n := len(d.cur) + len(d.prev); n > 2*detectorMaxBuckets {
			t.Errorf("%d buckets kept, want at most %d", n, 2*detectorMaxBuckets)
		}
	})
}
