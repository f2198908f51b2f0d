package tuango

import (
	"sync"
	"time"
)

// SoldOutTTL is how long a node refuses a sold-out deal from memory before
// it asks the database again. Stock that comes back through this node
// (cancellation, expiry, an operator's restock) clears the mark at once;
// stock that comes back through another node is seen within the TTL.
const SoldOutTTL = 500 * time.Millisecond

// soldOut remembers deals found sold out, so that after a flash sale sells
// out, refusals cost no database work.
type soldOut struct {
	mu    sync.RWMutex
	until map[string]time.Time
}

func (m *soldOut) mark(dealID string, now time.Time) {
	m.mu.Lock()
	if m.until == nil {
		m.until = map[string]time.Time{}
	}
	m.until[dealID] = now.Add(SoldOutTTL)
	m.mu.Unlock()
}

func (m *soldOut) clear(dealID string) {
	m.mu.Lock()
	delete(m.until, dealID)
	m.mu.Unlock()
}

// refuses returns the index of the first item whose deal is known to be
// sold out at now, or -1.
func (m *soldOut) refuses(items []OrderItem, now time.Time) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i, it := range items {
		if t, ok := m.until[it.DealID]; ok && now.Before(t) {
			return i
		}
	}
	return -1
}
