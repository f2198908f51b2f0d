// Package chaos is tuango's fault test: it drives a flash sale against real
// tuango nodes while a nemesis kills and pauses them, records a Jepsen-style
// history of every client operation, and checks the rules of INVARIANTS.md
// from that history and the raw tables, never trusting the system under
// test.
package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Event types of a history. An operation is invoked, then completes as ok
// (acknowledged: a 2xx), fail (definitely refused: a 4xx with a problem
// code) or info (outcome unknown: a timeout, a dropped connection, a 5xx).
// Nemesis actions are recorded as their own events.
const (
	Invoke  = "invoke"
	OK      = "ok"
	Fail    = "fail"
	Info    = "info"
	Nemesis = "nemesis"
)

// Client operations and nemesis actions.
const (
	PlaceOrder     = "place_order"
	CreatePayment  = "create_payment"
	ConfirmPayment = "confirm_payment"
	CancelOrder    = "cancel_order"

	// The day after the sale: the operator's cutoff and dispatch, the
	// leaders' sign-offs and pickups.
	CutoffOp   = "cutoff"
	DispatchOp = "dispatch"
	SignOp     = "sign"
	PickupOp   = "pickup"
	ListsOp    = "read_lists" // the cutoff's lists, read once it answered

	Kill  = "kill"
	Start = "start"
	Stop  = "stop"
	Cont  = "cont"
)

// OpTypes lists the client operations in the order reports show them.
var OpTypes = []string{PlaceOrder, CreatePayment, ConfirmPayment, CancelOrder, CutoffOp, ListsOp, DispatchOp, SignOp, PickupOp}

// Item is one line of an order: a deal and how many units.
type Item struct {
	DealID   string `json:"deal_id"`
	Quantity int    `json:"quantity"`
}

// SignLine is what a leader counted of one deal at sign-off, and how many
// units the delivery they were shown had of it.
type SignLine struct {
	DealID   string `json:"deal_id"`
	Expected int    `json:"expected"`
	Received int    `json:"received"`
	Damaged  int    `json:"damaged"`
}

// RefundLine is one partial refund a sign-off answered with.
type RefundLine struct {
	OrderID   string `json:"order_id"`
	LineNo    int    `json:"line_no"`
	Quantity  int    `json:"quantity"`
	AmountFen int64  `json:"amount_fen"`
}

// Op is one event of a history. An invocation and its completion share an
// ID; a retry is a new operation with the same Key.
type Op struct {
	Index   int       `json:"index"`
	ID      int64     `json:"id"`
	Process int       `json:"process"` // the virtual customer; -1 for the nemesis
	Type    string    `json:"type"`
	F       string    `json:"f"`
	Key     string    `json:"key,omitempty"` // Idempotency-Key
	Node    string    `json:"node,omitempty"`
	Time    time.Time `json:"time"`

	// What the operation acts on (invocations) or what was acknowledged.
	OrderID   string `json:"order_id,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
	Items     []Item `json:"items,omitempty"`
	// The day's operations: the pickup point a leader acts for, the route
	// dispatched, what a sign-off counted, the code a pickup showed.
	PickupPoint string       `json:"pickup_point_id,omitempty"`
	Route       string       `json:"route_id,omitempty"`
	Sign        []SignLine   `json:"sign,omitempty"`
	PickupCode  string       `json:"pickup_code,omitempty"`
	Refunds     []RefundLine `json:"refunds,omitempty"` // what an acknowledged sign-off refunded
	// Units are what the lists read said, per list and product.
	Units map[string]map[string]int `json:"units,omitempty"`

	// Completions.
	Status    int    `json:"status,omitempty"` // HTTP status
	Code      string `json:"code,omitempty"`   // problem code of a refusal
	Error     string `json:"error,omitempty"`  // why the outcome is unknown
	State     string `json:"state,omitempty"`  // acknowledged order or payment status
	TotalFen  int64  `json:"total_fen,omitempty"`
	AmountFen int64  `json:"amount_fen,omitempty"`
}

// History is every event of a run, in the order recorded.
type History []Op

// Recorder appends events to a history and to a file of JSON lines as they
// happen, so that a history survives the run that wrote it.
type Recorder struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	h      History
	nextID int64
	err    error
	closed bool
}

// NewRecorder creates the file at path and records into it.
func NewRecorder(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("chaos: history: %w", err)
	}
	return &Recorder{f: f, w: bufio.NewWriter(f)}, nil
}

// Invoke records the invocation of op and returns it with its ID set, to be
// passed to Complete.
func (r *Recorder) Invoke(op Op) Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	op.ID, op.Type = r.nextID, Invoke
	return r.append(op)
}

// Complete records the completion of the invocation inv; res carries the
// type (OK, Fail or Info) and what was acknowledged.
func (r *Recorder) Complete(inv, res Op) Op {
	res.ID, res.Process, res.F, res.Key, res.Node = inv.ID, inv.Process, inv.F, inv.Key, inv.Node
	if res.OrderID == "" {
		res.OrderID = inv.OrderID
	}
	if res.PaymentID == "" {
		res.PaymentID = inv.PaymentID
	}
	res.PickupPoint, res.Route, res.Sign, res.PickupCode = inv.PickupPoint, inv.Route, inv.Sign, inv.PickupCode
	if res.Units == nil {
		res.Units = inv.Units
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.append(res)
}

// Nemesis records a nemesis action on a node.
func (r *Recorder) Nemesis(f, node, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	r.append(Op{ID: r.nextID, Process: -1, Type: Nemesis, F: f, Node: node, Error: detail})
}

func (r *Recorder) append(op Op) Op {
	op.Index = len(r.h)
	if op.Time.IsZero() {
		op.Time = time.Now().UTC()
	}
	r.h = append(r.h, op)
	if r.err == nil && !r.closed {
		b, err := json.Marshal(op)
		if err == nil {
			b = append(b, '\n')
			_, err = r.w.Write(b)
		}
		if err == nil {
			err = r.w.Flush()
		}
		r.err = err
	}
	return op
}

// History returns a copy of what was recorded so far.
func (r *Recorder) History() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(History(nil), r.h...)
}

// Close flushes and closes the file, reporting any write that failed. Events
// recorded after Close are kept in memory only.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.err
	if ferr := r.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("chaos: write history %s: %w", r.f.Name(), err)
	}
	return nil
}

// Load reads a history written by a Recorder.
func Load(path string) (History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chaos: load history: %w", err)
	}
	defer f.Close()
	var h History
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var op Op
		if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
			return nil, fmt.Errorf("chaos: load history %s line %d: %w", path, line, err)
		}
		h = append(h, op)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chaos: load history %s: %w", path, err)
	}
	return h, nil
}

// Completions returns the completion of each invoked operation by ID.
func (h History) Completions() map[int64]Op {
	m := map[int64]Op{}
	for _, op := range h {
		if op.Type == OK || op.Type == Fail || op.Type == Info {
			m[op.ID] = op
		}
	}
	return m
}
