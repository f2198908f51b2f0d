package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/storetest"
)

// When the database goes away under order load on two nodes, every answer
// is 201 or 503 with Retry-After — never 500 — and ordering comes back when
// the database does.
func TestDatabaseStoppedUnderLoadAnswers503(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	// fast: the server terminates every session (57P01) and refuses new
	// ones; immediate: it dies, cutting connections mid-transaction (EOF).
	for _, mode := range []string{"fast", "immediate"} {
		t.Run("pg_ctl stop -m "+mode, func(t *testing.T) { stopUnderLoad(t, mode) })
	}
}

func stopUnderLoad(t *testing.T, mode string) {
	pg := storetest.StartPostgres(t)
	e := newEnvAt(t, pg.URL)
	nodes := []string{e.srv.URL, newEnvAt(t, pg.URL).srv.URL} // two nodes on one database
	deal := e.newDeal(1_000_000, 999, 990)
	// Eight senders, each over five customers, so that no customer reaches
	// the limit of 999 units.
	const buyers = 8
	tokens := make([]string, 5*buyers)
	for i := range tokens {
		tokens[i] = e.customer().token
	}

	var phase atomic.Int32 // 0 before the stop, 1 after it, 2 after the restart
	type tally struct {
		mu     sync.Mutex
		counts [3]map[string]int
		bad    []string
	}
	tl := &tally{counts: [3]map[string]int{{}, {}, {}}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				body, _ := json.Marshal(map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}})
				req, _ := http.NewRequest("POST", nodes[n%2]+"/api/v1/orders", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[i*5+n%5])
				req.Header.Set("Idempotency-Key", fmt.Sprintf("outage-%d-%d", i, n))
				p := phase.Load()
				resp, err := hc.Do(req)
				kind := ""
				var msg string
				if err != nil {
					kind, msg = "transport error", err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					kind = fmt.Sprint(resp.StatusCode)
					switch {
					case resp.StatusCode == 201:
					case resp.StatusCode == 503 && resp.Header.Get("Retry-After") != "":
					default:
						msg = fmt.Sprintf("%d Retry-After=%q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
					}
					if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
						kind = "503 without Retry-After"
					}
				}
				tl.mu.Lock()
				tl.counts[p][kind]++
				if msg != "" && len(tl.bad) < 20 {
					tl.bad = append(tl.bad, msg)
				}
				tl.mu.Unlock()
				if kind != "201" {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	phase.Store(1)
	pg.Stop(mode)
	time.Sleep(3 * time.Second)
	pg.Start()
	phase.Store(2)
	recovered := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		tl.mu.Lock()
		recovered = tl.counts[2]["201"] >= 20
		tl.mu.Unlock()
		if recovered {
			break
		}
	}
	close(stop)
	wg.Wait()

	names := [3]string{"before the stop", "while stopped", "after the restart"}
	for p, c := range tl.counts {
		var kinds []string
		for k := range c {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			t.Logf("%s: %s × %d", names[p], k, c[k])
		}
	}
	if len(tl.bad) > 0 {
		t.Errorf("answers neither 201 nor 503 with Retry-After (first %d):", len(tl.bad))
		for _, m := range tl.bad {
			t.Errorf("  %s", m)
		}
	}
	if tl.counts[1]["503"] == 0 {
		t.Error("no 503 while the database was stopped: the stop did not reach the orders")
	}
	if tl.counts[0]["201"] == 0 {
		t.Error("no order placed before the stop")
	}
	if !recovered {
		t.Error("fewer than 20 orders placed within 20 s of the database's restart")
	}
}
