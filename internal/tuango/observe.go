package tuango

import (
	"context"
	"time"
)

// Observer is told what operations watches: group commit, orders placed,
// refunds sent and cutoffs run. Its methods must be cheap and safe for
// concurrent use; labels it may derive are bounded (a city, a result),
// never a user, order or deal id. The metrics package implements it.
type Observer interface {
	// OrderBatch is one group-commit transaction about to run: how many
	// placements it carries and how long its oldest waited in the queue.
	OrderBatch(size int, wait time.Duration)
	// OrderPlaced is one new order committed (a replay is not).
	OrderPlaced(cityID string, total Fen)
	// RefundSent is one refund the provider completed.
	RefundSent(amount Fen)
	// CutoffRan is one run of a city's cutoff; result is "ok",
	// "already_done" or "error".
	CutoffRan(cityID string, took time.Duration, result string)
}

type nopObserver struct{}

func (nopObserver) OrderBatch(int, time.Duration)           {}
func (nopObserver) OrderPlaced(string, Fen)                 {}
func (nopObserver) RefundSent(Fen)                          {}
func (nopObserver) CutoffRan(string, time.Duration, string) {}

// SetObserver sets who is told what operations watches. Call it before
// the service takes requests.
func (s *Service) SetObserver(o Observer) {
	if o == nil {
		o = nopObserver{}
	}
	s.obs = o
}

// observeCommitted tells the observer of the new orders in a committed
// batch's results.
func (s *Service) observeCommitted(results []placed) {
	for _, r := range results {
		if r.err == nil && r.ans.Value != nil && !r.ans.Replayed {
			s.obs.OrderPlaced(r.ans.Value.CityID, r.ans.Value.TotalFen)
		}
	}
}

// runCutoffObserved is RunCutoff, timed and told to the observer. The
// duration is wall time, a measurement, not a business rule.
func (s *Service) runCutoffObserved(ctx context.Context, cityID, date, who string, progress func(moved, total int)) (*CutoffRun, error) {
	start, began := time.Now(), s.clock.Now()
	c, err := s.RunCutoff(ctx, cityID, date, who, progress)
	result := "ok"
	switch {
	case err != nil:
		result = "error"
	case c.FinishedAt.Before(began):
		result = "already_done"
	}
	s.obs.CutoffRan(cityID, time.Since(start), result)
	return c, err
}

// CutoffLag returns, per city, how long ago the earliest cutoff that is
// due and not finished fell due; a city with none due answers 0. The
// metrics read it to alert on a cutoff not run by its time.
func (s *Service) CutoffLag(ctx context.Context) (map[string]time.Duration, error) {
	cities, err := s.store.FindCities(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	lag := make(map[string]time.Duration, len(cities))
	for i := range cities {
		lag[cities[i].ID] = 0
		dates, err := s.store.FindUncutDates(ctx, cities[i].ID)
		if err != nil {
			return nil, err
		}
		for _, date := range dates {
			due, err := cities[i].CutoffFor(date)
			if err == nil && now.After(due) {
				lag[cities[i].ID] = now.Sub(due)
				break // dates come oldest first
			}
		}
	}
	return lag, nil
}
