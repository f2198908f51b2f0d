package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tuango/internal/storetest"
)

// storeArgs returns the flags that give a node fresh data of its own: a
// folder for SQLite, or a PostgreSQL schema when TUANGO_TEST_DB=postgres.
func storeArgs(t *testing.T) []string {
	t.Helper()
	dsn := storetest.DSN(t)
	if strings.HasPrefix(dsn, "postgres") {
		return []string{"--db", dsn}
	}
	return []string{"--data", dsn}
}

// Issue 3, "nodes are disposable": SIGTERM drains. /readyz answers 503 at
// once while the node goes on serving, so that a load balancer takes it out
// of rotation before the listener closes; every request already sent gets
// a whole response, one whose body is still arriving when the listener
// closes included; the process exits 0 and says "tuango stopped"; and a
// node started again on the same data has exactly the orders acknowledged.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	const delay, timeout = time.Second, 10 * time.Second
	flags := append(storeArgs(t), "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1",
		"--log-level", "error", "--drain-delay", delay.String(), "--drain-timeout", timeout.String(),
		"--max-unpaid-orders", "0", // a load of orders from few customers, none paid
		"--sandbox", "--ids", "off", "--rate-limit", "off", "--waf", "off") // the restart serves as the demo did; from one address, every core for the orders
	n := start(t, bin, append([]string{"demo"}, flags...)...)
	op := n.login(t, "13900000001")
	ppID, d := n.newDeal(t, op, 100000)
	orderBody := func(qty int) map[string]any {
		return map[string]any{"pickup_point_id": ppID, "items": []map[string]any{{"deal_id": d.ID, "quantity": qty}}}
	}

	const buyers = 6
	tokens := n.customers(t, buyers)

	// A slow client: its request's headers and half its body are sent now,
	// the rest only after the listener has closed.
	slow := startSlowOrder(t, n.url, tokens[0], orderBody(1))

	// Buyers order until the balancer takes the node out of rotation, as a
	// load balancer that checks /readyz would.
	var inRotation atomic.Bool
	inRotation.Store(true)
	var mu sync.Mutex
	var acked []ackOrder
	var failures []string
	refused := map[int]int{}
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; inRotation.Load(); k++ {
				status, b, err := n.call(t, "POST", "/api/v1/orders", tokens[i], orderBody(1+k%3), "Idempotency-Key", fmt.Sprintf("d%d-%d", i, k))
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case status == http.StatusCreated:
					var o ackOrder
					json.Unmarshal(b, &o)
					o.token = tokens[i]
					acked = append(acked, o)
				default:
					refused[status]++
				}
				mu.Unlock()
			}
		}()
	}
	waitForAcks(&mu, &acked, 200)

	sigterm := time.Now()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- n.cmd.Wait() }()

	// (a) /readyz turns 503 while the node still answers.
	readyz, notReadyAfter := 0, time.Duration(0)
	for readyz == 0 && time.Since(sigterm) < delay+timeout {
		resp, err := http.Get(n.url + "/readyz")
		switch {
		case err != nil:
			readyz = -1 // the listener closed first
		case resp.StatusCode != http.StatusOK:
			readyz = resp.StatusCode
		default:
			time.Sleep(10 * time.Millisecond)
		}
		if resp != nil {
			resp.Body.Close()
		}
		notReadyAfter = time.Since(sigterm)
	}
	inRotation.Store(false)
	if readyz != http.StatusServiceUnavailable {
		t.Errorf("/readyz after SIGTERM = %d (-1: connection refused), want 503 while the node still serves", readyz)
	}
	t.Logf("/readyz answered %d %v after SIGTERM", readyz, notReadyAfter.Round(time.Millisecond))

	// The listener closes after the drain delay; the slow request is still
	// under way, and now finishes.
	closedAfter := time.Duration(0)
	for time.Since(sigterm) < delay+timeout {
		c, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
		if err != nil {
			closedAfter = time.Since(sigterm)
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if closedAfter < delay {
		t.Errorf("listener closed %v after SIGTERM, want no sooner than the drain delay %v", closedAfter, delay)
	}
	time.Sleep(300 * time.Millisecond) // the process must wait for the slow body, however long it takes
	status, body, err := slow.finish()
	if err != nil || status != http.StatusCreated {
		t.Errorf("slow order finished after the listener closed = %d %s %v, want 201", status, body, err)
	} else {
		var o ackOrder
		json.Unmarshal(body, &o)
		o.token = tokens[0]
		mu.Lock()
		acked = append(acked, o)
		mu.Unlock()
	}
	wg.Wait()

	// (b) every request sent got a whole response.
	for _, f := range failures[:min(len(failures), 5)] {
		t.Errorf("a request sent while the node was in rotation got no response: %s", f)
	}
	if len(failures) > 5 {
		t.Errorf("... and %d more", len(failures)-5)
	}
	if len(refused) > 0 {
		t.Errorf("orders refused while draining, by status: %v; want none (stock and limits are ample)", refused)
	}

	// (c) the process exits 0 within the drain delay and timeout.
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("tuango exited with %v, want 0", err)
		}
	case <-time.After(delay + timeout + 5*time.Second):
		t.Fatalf("tuango still running %v after SIGTERM", time.Since(sigterm).Round(time.Millisecond))
	}
	t.Logf("listener closed %v after SIGTERM; process exited %v after SIGTERM",
		closedAfter.Round(time.Millisecond), time.Since(sigterm).Round(time.Millisecond))
	if out := n.out.String(); !strings.Contains(out, "tuango stopped") {
		t.Errorf("stdout does not say \"tuango stopped\":\n%s", out)
	}

	// Start again on the same data: every acknowledged order is there, and
	// no other (every request got its answer, so none is unknown).
	began := time.Now()
	n = start(t, bin, append([]string{"serve"}, flags...)...)
	t.Logf("serve on existing data (%d acknowledged orders) ready in %v", len(acked), time.Since(began).Round(time.Millisecond))
	var units int64
	for _, o := range acked {
		var got ackOrder
		n.mustCall(t, "GET", "/api/v1/orders/"+o.ID, o.token, nil, 200, &got)
		if got.TotalFen != o.TotalFen {
			t.Errorf("order %s total = %d after restart, want %d as acknowledged", o.ID, got.TotalFen, o.TotalFen)
		}
		units += o.TotalFen / 990
	}
	n.mustCall(t, "GET", "/api/v1/admin/deals/"+d.ID, op2(t, n), nil, 200, &d) // one call: a new login
	if int64(d.Reserved) != units {
		t.Errorf("deal reserved = %d after restart, want %d, the units of the %d acknowledged orders", d.Reserved, units, len(acked))
	}
}

// slowOrder is an order request sent by hand over TCP, its body in two parts.
type slowOrder struct {
	conn net.Conn
	rest []byte
}

func startSlowOrder(t *testing.T, baseURL, token string, order any) *slowOrder {
	t.Helper()
	body, err := json.Marshal(order)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	half := len(body) / 2
	head := fmt.Sprintf("POST /api/v1/orders HTTP/1.1\r\nHost: tuango\r\nAuthorization: Bearer %s\r\nIdempotency-Key: slow-1\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", token, len(body))
	if _, err := io.WriteString(conn, head+string(body[:half])); err != nil {
		t.Fatal(err)
	}
	return &slowOrder{conn: conn, rest: body[half:]}
}

// finish sends the rest of the body and reads the response.
func (s *slowOrder) finish() (int, []byte, error) {
	if _, err := s.conn.Write(s.rest); err != nil {
		return 0, nil, fmt.Errorf("send the rest of the body: %w", err)
	}
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(s.conn), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("read the response: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return resp.StatusCode, bytes.TrimSpace(b), err
}
