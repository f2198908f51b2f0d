package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// lastGoodJSON keeps, per request, the public deal list this node last
// answered, to answer with while the database does not: marked stale by
// Warning and X-Tuango-As-Of, and never for staff (whose view shows stock
// as it is). Ordering is paused meanwhile (it answers 503), so a stale
// price is never charged.
type lastGoodJSON struct {
	mu sync.Mutex
	m  map[string]goodJSON
}

type goodJSON struct {
	body []byte
	at   time.Time
}

func (c *lastGoodJSON) put(key string, body []byte, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]goodJSON{}
	}
	c.m[key] = goodJSON{body, at}
}

// write answers from the copy for key, if there is one young enough.
func (c *lastGoodJSON) write(w http.ResponseWriter, key string, now time.Time) bool {
	c.mu.Lock()
	g, ok := c.m[key]
	c.mu.Unlock()
	if !ok || now.Sub(g.at) > lastGoodMaxAge {
		return false
	}
	w.Header().Set("Warning", `110 tuango "Response is Stale"`)
	w.Header().Set("X-Tuango-As-Of", g.at.UTC().Format(time.RFC3339))
	w.Header().Set("Age", strconv.Itoa(int(now.Sub(g.at)/time.Second)))
	writeRaw(w, http.StatusOK, g.body)
	return true
}
