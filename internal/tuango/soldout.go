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
	last  time.Time // the latest of until: no mark holds after it
}

func (m *soldOut) mark(dealID string, now time.Time) {
	m.mu.Lock()
	if m.until == nil {
		m.until = map[string]time.Time{}
	}
	m.until[dealID] = now.Add(SoldOutTTL)
	if m.until[dealID].After(m.last) {
		m.last = m.until[dealID]
	}
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

// any reports whether a mark may hold at now: false means refuses finds
// none, whatever the items.
func (m *soldOut) any(now time.Time) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.until) > 0 && now.Before(m.last)
}

// KnowsSoldOut reports whether this node knows the deal of one of the
// items sold out now, so that PlaceOrder would refuse the order from
// memory, without the writer (a flash sale's refusals, see PlaceOrder).
// Admission control asks it which order requests need only an answer,
// not a slot on the order path.
func (s *Service) KnowsSoldOut(items []OrderItem) bool {
	return s.soldOut.refuses(items, s.clock.Now()) >= 0
}

// KnowsAnySoldOut reports whether this node knows any deal sold out now:
// false means KnowsSoldOut is false for every deal, the cheap check
// before a request's body is read for its deals.
func (s *Service) KnowsAnySoldOut() bool { return s.soldOut.any(s.clock.Now()) }
