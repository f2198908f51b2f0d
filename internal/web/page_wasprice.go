package web

import (
	"context"
	"sync"
	"time"

	"tuango/internal/tuango"
)

// wasPriceWindow is how far before a price took effect the "was" price is
// looked for: China's rules on price marking compare a discount with the
// lowest price of the seven days before it.
const wasPriceWindow = 7 * 24 * time.Hour

// wasPrice returns the price a deal can truthfully say it was, from its
// history (oldest first), and whether there is one: the lowest price in
// force during the seven days before the current price took effect, when
// that is higher than the current price. A list price alone proves
// nothing. See docs/decisions.md.
func wasPrice(history []tuango.DealPrice, current tuango.Fen) (tuango.Fen, bool) {
	if len(history) < 2 {
		return 0, false
	}
	cur := history[len(history)-1]
	if cur.PriceFen != current {
		return 0, false // the history does not describe the price shown
	}
	from := cur.EffectiveAt.Add(-wasPriceWindow)
	var low tuango.Fen
	found := false
	for i, p := range history[:len(history)-1] {
		// p was in force from its EffectiveAt until the next entry's.
		if !history[i+1].EffectiveAt.After(from) {
			continue
		}
		if !found || p.PriceFen < low {
			low, found = p.PriceFen, true
		}
	}
	if !found || low <= current {
		return 0, false
	}
	return low, true
}

// wasPrices caches each deal's proven "was" price by the deal's last
// change: the history grows only when the deal is saved, which moves
// UpdatedAt, so a cached answer for the same UpdatedAt is still right, on
// any node.
type wasPrices struct {
	mu sync.Mutex
	m  map[string]wasEntry
}

type wasEntry struct {
	updated time.Time
	was     tuango.Fen
	ok      bool
}

// of returns a deal's "was" price, reading its history only when the deal
// changed since it was last read.
func (c *wasPrices) of(ctx context.Context, store tuango.CatalogReader, d *tuango.Deal) (tuango.Fen, bool, error) {
	c.mu.Lock()
	e, hit := c.m[d.ID]
	c.mu.Unlock()
	if hit && e.updated.Equal(d.UpdatedAt) {
		return e.was, e.ok, nil
	}
	history, err := store.FindDealPrices(ctx, d.ID)
	if err != nil {
		return 0, false, err
	}
	was, ok := wasPrice(history, d.PriceFen)
	c.mu.Lock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[string]wasEntry{}
	}
	c.m[d.ID] = wasEntry{d.UpdatedAt, was, ok}
	c.mu.Unlock()
	return was, ok, nil
}
