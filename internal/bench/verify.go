package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Verification is what the bench checked after a run.
type Verification struct {
	Stock      int `json:"stock"`
	Reserved   int `json:"reserved"`
	Remaining  int `json:"stock_remaining"`
	AckedUnits int `json:"acked_units"`
	// Oversold is how many units were sold beyond the stock, by the
	// server's own counter or by the orders acknowledged.
	Oversold int `json:"oversold"`
	// APIChecked orders were fetched back through the API; APIMissing of
	// them were not there.
	APIChecked int `json:"api_checked"`
	APIMissing int `json:"api_missing"`
	// DBChecked says whether the database was read after the run (only
	// when the bench owns the server).
	DBChecked bool `json:"db_checked"`
	DBOrders  int  `json:"db_orders"`
	DBUnits   int  `json:"db_units"`
	// DBMissing acknowledged orders were not in the database.
	DBMissing int `json:"db_missing"`
	// Unacknowledged orders are in the database but their request failed
	// or timed out on the client: allowed (the client may retry with the
	// same key), but reported.
	Unacknowledged int      `json:"unacknowledged"`
	Problems       []string `json:"problems,omitempty"`
}

// OK reports whether every check passed.
func (v *Verification) OK() bool { return len(v.Problems) == 0 }

func (v *Verification) fail(format string, args ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
}

// verifyAPI checks the deal's counters and fetches acknowledged orders
// back: all of them, or a random sample of sample when sample > 0.
func verifyAPI(ctx context.Context, a *api, opToken, dealID string, acked []string, sample int) (*Verification, error) {
	v := &Verification{AckedUnits: len(acked)} // every order is for 1 unit
	d, err := a.deal(ctx, opToken, dealID)
	if err != nil {
		return nil, err
	}
	v.Stock, v.Reserved, v.Remaining = d.Stock, d.Reserved, d.StockRemaining
	if over := max(d.Reserved-d.Stock, v.AckedUnits-d.Stock, -d.StockRemaining, 0); over > 0 {
		v.Oversold = over
		v.fail("oversold by %d units: stock %d, reserved %d, remaining %d, %d units acknowledged", over, d.Stock, d.Reserved, d.StockRemaining, v.AckedUnits)
	}
	if d.Reserved < v.AckedUnits {
		v.fail("the deal has %d units reserved but %d were acknowledged", d.Reserved, v.AckedUnits)
	}
	ids := acked
	if sample > 0 && len(ids) > sample {
		ids = make([]string, 0, sample)
		for _, i := range rand.Perm(len(acked))[:sample] {
			ids = append(ids, acked[i])
		}
	}
	var missing, failed atomic.Int64
	var firstErr atomic.Value
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				var o struct {
					ID     string `json:"id"`
					Status string `json:"status"`
					Items  []struct {
						DealID   string `json:"deal_id"`
						Quantity int    `json:"quantity"`
					} `json:"items"`
				}
				err := a.call(ctx, "GET", "/api/v1/orders/"+id, opToken, nil, http.StatusOK, &o)
				if e, ok := err.(*apiError); ok && e.status == http.StatusNotFound {
					missing.Add(1)
				} else if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else if o.ID != id || len(o.Items) != 1 || o.Items[0].DealID != dealID || o.Items[0].Quantity != 1 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("order %s came back as %+v", id, o))
				}
			}
		}()
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	v.APIChecked, v.APIMissing = len(ids), int(missing.Load())
	if v.APIMissing > 0 {
		v.fail("%d of %d acknowledged orders fetched back are missing", v.APIMissing, v.APIChecked)
	}
	if n := failed.Load(); n > 0 {
		v.fail("%d acknowledged orders could not be checked or came back wrong; first: %v", n, firstErr.Load())
	}
	return v, nil
}

// The orders of a deal that are still live, and the deal's counters: what
// the bench reads from the database itself after the server has stopped.
const (
	sqliteDealOrders = `SELECT o.id, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE l.deal_id = ? AND o.status <> 'cancelled'`
	postgresDealOrders = `SELECT o.id, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE l.deal_id = $1 AND o.status <> 'cancelled'`
	sqliteDeal   = `SELECT stock, reserved FROM deals WHERE id = ?`
	postgresDeal = `SELECT stock, reserved FROM deals WHERE id = $1`
)

// verifyDB reads the stopped server's database: every acknowledged order
// must be there, and the live units of the deal within its stock.
func verifyDB(ctx context.Context, s *server, dealID string, acked []string, v *Verification) error {
	var db *sql.DB
	var err error
	ordersQ, dealQ := sqliteDealOrders, sqliteDeal
	if s.pgURL != "" {
		db, err = sql.Open("pgx", s.pgURL)
		ordersQ, dealQ = postgresDealOrders, postgresDeal
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "tuango.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	}
	if err != nil {
		return err
	}
	defer db.Close()
	var stock, reserved int
	if err := db.QueryRowContext(ctx, dealQ, dealID).Scan(&stock, &reserved); err != nil {
		return fmt.Errorf("read deal %s: %w", dealID, err)
	}
	rows, err := db.QueryContext(ctx, ordersQ, dealID)
	if err != nil {
		return fmt.Errorf("read the orders of deal %s: %w", dealID, err)
	}
	defer rows.Close()
	inDB := map[string]bool{}
	units := 0
	for rows.Next() {
		var id string
		var q int
		if err := rows.Scan(&id, &q); err != nil {
			return err
		}
		inDB[id] = true
		units += q
	}
	if err := rows.Err(); err != nil {
		return err
	}
	v.DBChecked, v.DBOrders, v.DBUnits = true, len(inDB), units
	for _, id := range acked {
		if !inDB[id] {
			v.DBMissing++
		}
	}
	v.Unacknowledged = len(inDB) - (len(acked) - v.DBMissing)
	if v.DBMissing > 0 {
		v.fail("%d of %d acknowledged orders are not in the database", v.DBMissing, len(acked))
	}
	if units > stock || reserved > stock {
		v.Oversold = max(v.Oversold, units-stock, reserved-stock)
		v.fail("the database holds %d live units and %d reserved of a stock of %d", units, reserved, stock)
	}
	if units != reserved {
		v.fail("the deal's reserved counter is %d but its live orders hold %d units", reserved, units)
	}
	return nil
}
