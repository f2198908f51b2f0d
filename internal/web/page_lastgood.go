package web

import (
	"sync"
	"time"
)

// lastGoodCopy keeps, per pickup point and language, the storefront this
// node last rendered, to show while the database does not answer. It is
// only ever a fallback: prices and stock may have moved, so ordering is
// paused and the page says when the copy is from.
type lastGoodCopy struct {
	mu sync.Mutex
	m  map[string]goodCopy
}

type goodCopy struct {
	data storefrontData
	at   time.Time
}

// lastGoodMaxAge is how old a copy may be and still be shown.
const lastGoodMaxAge = 30 * time.Minute

func (c *lastGoodCopy) put(key string, data storefrontData, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]goodCopy{}
	}
	c.m[key] = goodCopy{data, at}
}

func (c *lastGoodCopy) get(key string, now time.Time) (storefrontData, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[key]
	if !ok || now.Sub(g.at) > lastGoodMaxAge {
		return storefrontData{}, time.Time{}, false
	}
	return g.data, g.at, true
}
