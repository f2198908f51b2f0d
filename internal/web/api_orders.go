package web

import (
	"context"
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
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		// The handler reads what came, and meets the same error at its end
		// (a body too large is still 413).
		r.Body = &preread{data: body, err: err}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.OrderWriteTimeout)
		defer cancel()
		next(w, r.WithContext(ctx))
	}
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
