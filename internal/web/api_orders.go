package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"tuango/internal/tuango"
)

type orderRequest struct {
	PickupPointID string `json:"pickup_point_id"`
	CouponID      string `json:"coupon_id"`
	Items         []struct {
		DealID   string `json:"deal_id"`
		Quantity int    `json:"quantity"`
	} `json:"items"`
}

// decodeOrderRequest reads and checks the body of POST /api/v1/orders.
func decodeOrderRequest(body []byte) (tuango.PlaceOrderRequest, error) {
	var in orderRequest
	if err := decodeBytes(body, &in); err != nil {
		return tuango.PlaceOrderRequest{}, err
	}
	req := tuango.PlaceOrderRequest{PickupPointID: in.PickupPointID, CouponID: in.CouponID}
	for _, it := range in.Items {
		req.Items = append(req.Items, tuango.OrderItem{DealID: it.DealID, Quantity: it.Quantity})
	}
	return req, req.Validate()
}

func (s *Server) handlePlaceOrder(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	body, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := decodeOrderRequest(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Idem = idem
	ans, err := s.svc.PlaceOrder(r.Context(), a, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusCreated, ans, viewOrder)
}

func (s *Server) handleOrders(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	orders, next, err := s.svc.ListOrders(r.Context(), a, limit, cursor)
	if err == nil {
		err = s.svc.ReadCancelRefunds(r.Context(), a, orders)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(orders, next, viewOrder))
}

func (s *Server) handleOrder(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	o, err := s.svc.GetOrder(r.Context(), a, r.PathValue("id"))
	if err == nil {
		err = s.svc.ReadCancelRefund(r.Context(), a, o)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOrder(o))
}

func (s *Server) handleCancelOrder(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	o, err := s.svc.CancelOrder(r.Context(), a, r.PathValue("id"))
	if err == nil {
		err = s.svc.ReadCancelRefund(r.Context(), a, o)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOrder(o))
}

// bounded limits how long a customer's order request — placing, paying,
// cancelling, its login check included — waits for the database
// (Config.OrderWriteTimeout): past it the answer is 503 with Retry-After,
// the outcome unknown, rather than a customer held while a failover runs.
// The clock starts once the body has arrived: a slow client is the
// server's read timeout's business, not the database's.
func (s *Server) bounded(next http.HandlerFunc) http.HandlerFunc {
	if s.cfg.OrderWriteTimeout <= 0 {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		preRead(w, r)
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.OrderWriteTimeout)
		defer cancel()
		next(w, r.WithContext(ctx))
	}
}

// preRead reads r's body whole, up to MaxBodyBytes, unless it already
// was: the handler reads what came, and meets the same error at its end
// (a body too large is still 413).
func preRead(w http.ResponseWriter, r *http.Request) *preread {
	if p, ok := r.Body.(*preread); ok && p.off == 0 {
		return p
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	p := &preread{data: body, err: err}
	r.Body = p
	return p
}

// refusesSoldOut reports whether r places an order for a deal this node
// knows sold out, which PlaceOrder answers 409 sold_out from memory (or
// with the first answer of its key): admission control admits it among
// the cheap requests, so that after a sell-out the crowd's refusals are
// neither queued behind the orders still at the writer nor shed as
// overloaded. Only when the node knows a deal sold out does it read the
// body here, before the WAF and the handler, which read it again from
// memory; a body it cannot read for deals is left to the order path.
func (s *Server) refusesSoldOut(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/orders" || !s.svc.KnowsAnySoldOut() {
		return false
	}
	p := preRead(w, r)
	var in struct {
		Items []struct {
			DealID string `json:"deal_id"`
		} `json:"items"`
	}
	if p.err != nil || json.Unmarshal(p.data, &in) != nil || len(in.Items) == 0 {
		return false
	}
	items := make([]tuango.OrderItem, len(in.Items))
	for i, it := range in.Items {
		items[i].DealID = it.DealID
	}
	return s.svc.KnowsSoldOut(items)
}

// preread is a request's body read whole before its handler ran: it
// reads as the body did, ending with the error reading it ended with, and
// readBody hands its bytes over without copying them again.
type preread struct {
	data []byte
	err  error // nil: io.EOF
	off  int
}

func (b *preread) Read(p []byte) (int, error) {
	if b.off < len(b.data) {
		n := copy(p, b.data[b.off:])
		b.off += n
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	return 0, io.EOF
}

func (b *preread) Close() error { return nil }
