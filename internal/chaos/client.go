package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tuango/internal/demo"
)

// Client limits: each attempt is bounded in time, each logical request in
// attempts.
const (
	requestTimeout = 2 * time.Second
	maxAttempts    = 6
)

// client sends the virtual customers' requests to the nodes and records
// every attempt in the history.
type client struct {
	http  *http.Client
	nodes []*node
	rec   *Recorder
	ans   answers
	// orderSentAt is the invocation time (Unix ns) of the latest-sent
	// order acknowledged so far: ordering is back after a failover once
	// it passes the failover's start.
	orderSentAt atomic.Int64
}

// answers tallies every attempt's answer by HTTP status, and keeps the
// logical requests whose outcome was still unknown after their last
// attempt, for a failover drill to settle by retrying their keys.
type answers struct {
	mu           sync.Mutex
	byStatus     map[string]int // "201", "503", ...; noAnswer for none
	noRetryAfter int            // 5xx answers without Retry-After
	unknown      []pendingRequest
}

// noAnswer counts attempts that got no HTTP answer: a timeout or a
// connection cut.
const noAnswer = "no answer"

// pendingRequest is a logical request to send again with its key.
type pendingRequest struct {
	inv                 Op
	method, path, token string
	body                []byte
}

func (a *answers) count(status string, noRetryAfter bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byStatus == nil {
		a.byStatus = map[string]int{}
	}
	a.byStatus[status]++
	if noRetryAfter {
		a.noRetryAfter++
	}
}

func newClient(nodes []*node, rec *Recorder) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}
	return &client{http: &http.Client{Transport: tr}, nodes: nodes, rec: rec}
}

// response is the part of tuango's answers the history keeps.
type response struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	TotalFen  int64  `json:"total_fen"`
	AmountFen int64  `json:"amount_fen"`
	Items     []Item `json:"items"`
	Code      string `json:"code"` // problem+json
	// The day's answers: a cutoff's summary, a dispatch, a sign-off.
	ConfirmedOrders int          `json:"confirmed_orders"`
	CancelledOrders int          `json:"cancelled_orders"`
	ConfirmedUnits  int          `json:"confirmed_units"`
	Shipped         int          `json:"shipped"`
	Refunds         []RefundLine `json:"refunds"`
}

// do sends one logical request: inv says what it is. While the outcome is
// unknown (info) or the key is still in flight elsewhere, it retries with
// the same key and body on another node, a bounded number of times. Every
// attempt is its own operation in the history; do returns the last.
func (c *client) do(ctx context.Context, rng *rand.Rand, inv Op, method, path, token string, body []byte) Op {
	return c.doFrom(ctx, rng, rng.IntN(len(c.nodes)), inv, method, path, token, body)
}

// doFrom is do with the first attempt sent to node first.
func (c *client) doFrom(ctx context.Context, rng *rand.Rand, first int, inv Op, method, path, token string, body []byte) Op {
	var res Op
	for attempt := 0; attempt < maxAttempts && ctx.Err() == nil; attempt++ {
		n := c.nodes[(first+attempt)%len(c.nodes)]
		res = c.attempt(ctx, n, inv, method, path, token, body)
		if res.Type == OK || (res.Type == Fail && res.Code != "idempotency_key_in_flight") {
			return res
		}
		sleep(ctx, time.Duration(100+rng.IntN(200))*time.Millisecond*time.Duration(attempt+1))
	}
	if res.Type == Info && inv.Key != "" {
		c.ans.mu.Lock()
		c.ans.unknown = append(c.ans.unknown, pendingRequest{inv: inv, method: method, path: path, token: token, body: body})
		c.ans.mu.Unlock()
	}
	return res
}

// attempt sends one request to one node and records it.
func (c *client) attempt(ctx context.Context, n *node, inv Op, method, path, token string, body []byte) Op {
	inv.Node = n.name
	op := c.rec.Invoke(inv)
	actx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, n.url()+path, rd)
	if err != nil {
		return c.rec.Complete(op, Op{Type: Info, Error: err.Error()})
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if inv.Key != "" {
		req.Header.Set("Idempotency-Key", inv.Key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil { // not the run's end cutting it short
			c.ans.count(noAnswer+" ("+shortError(err)+")", false)
		}
		return c.rec.Complete(op, Op{Type: Info, Error: shortError(err)})
	}
	defer resp.Body.Close()
	c.ans.count(strconv.Itoa(resp.StatusCode), resp.StatusCode >= 500 && resp.Header.Get("Retry-After") == "")
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return c.rec.Complete(op, Op{Type: Info, Status: resp.StatusCode, Error: "reading the response: " + shortError(err)})
	}
	var r response
	jerr := json.Unmarshal(b, &r)
	switch {
	case resp.StatusCode >= 500:
		return c.rec.Complete(op, Op{Type: Info, Status: resp.StatusCode, Code: r.Code, Error: "server error"})
	case resp.StatusCode >= 400:
		code := r.Code
		if code == "" {
			code = fmt.Sprintf("http_%d", resp.StatusCode)
		}
		return c.rec.Complete(op, Op{Type: Fail, Status: resp.StatusCode, Code: code})
	case resp.StatusCode < 200 || resp.StatusCode > 299 || jerr != nil:
		// A 2xx whose body did not arrive whole acknowledges nothing we can name.
		return c.rec.Complete(op, Op{Type: Info, Status: resp.StatusCode, Error: fmt.Sprintf("unreadable answer: %v", jerr)})
	}
	ack := Op{Type: OK, Status: resp.StatusCode, State: r.Status}
	switch inv.F {
	case PlaceOrder:
		ack.OrderID, ack.TotalFen, ack.Items = r.ID, r.TotalFen, r.Items
		for sent := op.Time.UnixNano(); ; {
			last := c.orderSentAt.Load()
			if sent <= last || c.orderSentAt.CompareAndSwap(last, sent) {
				break
			}
		}
	case CreatePayment:
		ack.PaymentID, ack.AmountFen = r.ID, r.AmountFen
	case ConfirmPayment:
		ack.AmountFen = r.AmountFen
	case CutoffOp:
		ack.State = cutoffSummary(r.ConfirmedOrders, r.CancelledOrders, r.ConfirmedUnits)
	case DispatchOp:
		ack.State = fmt.Sprintf("shipped %d", r.Shipped)
	case SignOp:
		ack.Refunds = r.Refunds
	case PickupOp:
		ack.OrderID = r.ID
	}
	return c.rec.Complete(op, ack)
}

// call is a plain request outside the history (setup and logins), retried
// on errors; out receives the JSON answer.
func (c *client) call(ctx context.Context, n *node, method, path, token string, in, out any) error {
	var last error
	for attempt := 0; attempt < 10 && ctx.Err() == nil; attempt++ {
		var rd io.Reader
		if in != nil {
			b, _ := json.Marshal(in)
			rd = bytes.NewReader(b)
		}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		req, _ := http.NewRequestWithContext(actx, method, n.url()+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.http.Do(req)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode/100 == 2 {
				cancel()
				return json.Unmarshal(b, out)
			}
			if err == nil {
				err = fmt.Errorf("%s %s = %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
			}
			if resp.StatusCode/100 == 4 {
				cancel()
				return err
			}
		}
		cancel()
		last = err
		sleep(ctx, 200*time.Millisecond)
	}
	return fmt.Errorf("chaos: %s %s on %s: %w", method, path, n.name, errors.Join(last, ctx.Err()))
}

// once is one plain request outside the history: the answer's status, and
// out filled from a 2xx.
func (c *client) once(ctx context.Context, n *node, method, path, token string, in, out any) (int, error) {
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(actx, method, n.url()+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return resp.StatusCode, err
	case resp.StatusCode/100 != 2:
		return resp.StatusCode, fmt.Errorf("%s %s = %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	case out == nil:
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.Unmarshal(b, out)
}

// callAny is a plain request outside the history sent to whichever node
// is up, until one answers or refuses it (4xx), for at most a minute.
func (c *client) callAny(ctx context.Context, method, path, token string, in, out any) error {
	var last error
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		n := c.nodes[i%len(c.nodes)]
		if !n.isUp() {
			sleep(ctx, 100*time.Millisecond)
			continue
		}
		status, err := c.once(ctx, n, method, path, token, in, out)
		if err == nil || status/100 == 4 {
			return err
		}
		last = err
		sleep(ctx, 100*time.Millisecond)
	}
	return fmt.Errorf("chaos: %s %s: no node answered: %w", method, path, errors.Join(last, ctx.Err()))
}

func shortError(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled at the end of the run"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// loginOperator logs the demo operator in on n, with the second factor
// computed from the demo's published TOTP secret. A code is good once: if
// this one was just used (a login in the same 30 s), it waits for the next.
func (c *client) loginOperator(ctx context.Context, n *node, out any) error {
	var err error
	for attempt := range 2 {
		body := map[string]string{"phone": demo.OperatorPhone, "password": demo.Password, "totp": demo.OperatorTOTP(time.Now())}
		if err = c.call(ctx, n, "POST", "/api/v1/auth/login", "", body, out); err == nil || attempt == 1 {
			break
		}
		select {
		case <-time.After(time.Until(time.Now().Truncate(30 * time.Second).Add(30 * time.Second))):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}
