package web

import (
	"context"
	"encoding/json"
	"fmt"

	"tuango/internal/tuango"
)

// Every call the pages make that changes state goes through this file, so
// that a change of the domain's signatures is adapted in one place. Reads
// are elsewhere.

func (s *Server) actLogin(ctx context.Context, phone, password string) (string, error) {
	_, token, err := s.svc.Login(ctx, phone, password)
	return token, err
}

func (s *Server) actLogout(ctx context.Context, token string) error {
	return s.svc.Logout(ctx, token)
}

func (s *Server) actSetPickupPoint(ctx context.Context, a tuango.Actor, id string) error {
	_, err := s.svc.SetHomePickupPoint(ctx, a, id)
	return err
}

// idOnly is what the pages store with an idempotency key: the id of what
// the first request made, which is all a replay needs.
type idOnly struct {
	ID string `json:"id"`
}

func pageIdem(a tuango.Actor, key, fingerprint string, id func(any) string) *tuango.Idempotency {
	return &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: fingerprint,
		Render: func(res any) (int, []byte, error) {
			b, err := json.Marshal(idOnly{id(res)})
			return 201, b, err
		}}
}

// replayedID returns the id stored with a key already used, if err says so.
func replayedID(err error) (string, bool, error) {
	rec, ok := tuango.AsReplay(err)
	if !ok {
		return "", false, err
	}
	var v idOnly
	if err := json.Unmarshal(rec.Body, &v); err != nil || v.ID == "" {
		return "", true, fmt.Errorf("web: the stored answer of key %s names no id: %s", rec.Key, rec.Body)
	}
	return v.ID, true, nil
}

// actPlaceOrder places an order exactly once per key and returns its id,
// the same id for a repeated key.
func (s *Server) actPlaceOrder(ctx context.Context, a tuango.Actor, req tuango.PlaceOrderRequest, key, fingerprint string) (string, error) {
	req.Idem = pageIdem(a, key, fingerprint, func(res any) string { return res.(*tuango.Order).ID })
	o, err := s.svc.PlaceOrder(ctx, a, req)
	if id, replay, err := replayedID(err); replay || err != nil {
		return id, err
	}
	return o.ID, nil
}

// actPay starts (or finds) the payment of an unpaid order, once per key,
// and returns the payment's id.
func (s *Server) actPay(ctx context.Context, a tuango.Actor, orderID, key string) (string, error) {
	idem := pageIdem(a, key, "page pay "+orderID, func(res any) string { return res.(*tuango.Payment).ID })
	p, err := s.svc.CreatePayment(ctx, a, orderID, idem)
	if id, replay, err := replayedID(err); replay || err != nil {
		return id, err
	}
	return p.ID, nil
}

func (s *Server) actCancelOrder(ctx context.Context, a tuango.Actor, id string) error {
	_, err := s.svc.CancelOrder(ctx, a, id)
	return err
}

func (s *Server) actConfirmSandbox(ctx context.Context, paymentID, userID string) error {
	return s.sandbox.Confirm(ctx, paymentID, userID)
}

func (s *Server) actCreateDeal(ctx context.Context, a tuango.Actor, d *tuango.Deal) error {
	d.ID = ""
	return s.svc.SaveDeal(ctx, a, d)
}

// actUpdateDeal reads a deal, lets change alter it, and saves it.
func (s *Server) actUpdateDeal(ctx context.Context, a tuango.Actor, id string, change func(*tuango.Deal) error) (*tuango.Deal, error) {
	d, err := s.svc.GetDeal(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := change(d); err != nil {
		return nil, err
	}
	return d, s.svc.SaveDeal(ctx, a, d)
}

// actSetPickupPointOpen opens or closes a pickup point.
func (s *Server) actSetPickupPointOpen(ctx context.Context, a tuango.Actor, id string, open bool) error {
	pp, err := s.svc.GetPickupPoint(ctx, id)
	if err != nil {
		return err
	}
	pp.Active = open
	return s.svc.SavePickupPoint(ctx, a, pp)
}
