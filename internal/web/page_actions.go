package web

import (
	"context"
	"fmt"

	"tuango/internal/tuango"
)

// Every call the pages make that changes state goes through this file, so
// that a change of the domain's signatures is adapted in one place. Reads
// are elsewhere.

func (s *Server) actLogin(ctx context.Context, in tuango.LoginRequest) (string, error) {
	_, token, err := s.svc.Login(ctx, in)
	return token, err
}

func (s *Server) actLogout(ctx context.Context, token string) error {
	return s.svc.Logout(ctx, token)
}

func (s *Server) actSetPickupPoint(ctx context.Context, a tuango.Actor, id string) error {
	_, err := s.svc.SetHomePickupPoint(ctx, a, id)
	return err
}

// actPlaceOrder places an order exactly once per key and returns its id,
// the same id for a repeated key.
func (s *Server) actPlaceOrder(ctx context.Context, a tuango.Actor, req tuango.PlaceOrderRequest, key, fingerprint string) (string, error) {
	req.Idem = &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: fingerprint}
	ans, err := s.svc.PlaceOrder(ctx, a, req)
	if err != nil {
		return "", err
	}
	return ans.Value.ID, nil
}

// actPay starts (or finds) the payment of an unpaid order, once per key,
// and returns the payment's id.
func (s *Server) actPay(ctx context.Context, a tuango.Actor, orderID, key string) (string, error) {
	idem := &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: "page pay " + orderID}
	ans, err := s.svc.CreatePayment(ctx, a, orderID, idem)
	if err != nil {
		return "", err
	}
	return ans.Value.ID, nil
}

func (s *Server) actCancelOrder(ctx context.Context, a tuango.Actor, id string) error {
	_, err := s.svc.CancelOrder(ctx, a, id)
	return err
}

func (s *Server) actConfirmSandbox(ctx context.Context, paymentID, userID string) error {
	return s.sandbox.Confirm(ctx, paymentID, userID)
}

func (s *Server) actCreateDeal(ctx context.Context, a tuango.Actor, d *tuango.Deal) error {
	return s.svc.CreateDeal(ctx, a, d)
}

// actUpdateDeal lets change alter a deal as it stands, in one transaction.
func (s *Server) actUpdateDeal(ctx context.Context, a tuango.Actor, id string, change func(*tuango.Deal) error) (*tuango.Deal, error) {
	return s.svc.UpdateDeal(ctx, a, id, change)
}

// actSetPickupPointOpen opens or closes a pickup point.
func (s *Server) actSetPickupPointOpen(ctx context.Context, a tuango.Actor, id string, open bool) error {
	_, err := s.svc.UpdatePickupPoint(ctx, a, id, func(pp *tuango.PickupPoint) error {
		pp.Active = open
		return nil
	})
	return err
}

func (s *Server) actCreateLeader(ctx context.Context, a tuango.Actor, acc tuango.NewAccount) (*tuango.User, error) {
	return s.svc.CreateLeader(ctx, a, acc)
}

func (s *Server) actRenameLeader(ctx context.Context, a tuango.Actor, id, name string) (*tuango.User, error) {
	return s.svc.UpdateLeader(ctx, a, id, func(u *tuango.User) error { u.Name = name; return nil })
}

func (s *Server) actCreatePickupPoint(ctx context.Context, a tuango.Actor, p *tuango.PickupPoint) error {
	return s.svc.CreatePickupPoint(ctx, a, p)
}

// actUpdatePickupPoint lets change alter a pickup point as it stands, in one transaction.
func (s *Server) actUpdatePickupPoint(ctx context.Context, a tuango.Actor, id string, change func(*tuango.PickupPoint) error) (*tuango.PickupPoint, error) {
	return s.svc.UpdatePickupPoint(ctx, a, id, change)
}

func (s *Server) actCreateSupplier(ctx context.Context, a tuango.Actor, sup *tuango.Supplier) error {
	return s.svc.CreateSupplier(ctx, a, sup)
}

// actUpdateSupplier lets change alter a supplier as it stands, in one transaction.
func (s *Server) actUpdateSupplier(ctx context.Context, a tuango.Actor, id string, change func(*tuango.Supplier) error) (*tuango.Supplier, error) {
	return s.svc.UpdateSupplier(ctx, a, id, change)
}

func (s *Server) actCreateProduct(ctx context.Context, a tuango.Actor, p *tuango.Product) error {
	return s.svc.CreateProduct(ctx, a, p)
}

// actUpdateProduct lets change alter a product as it stands, in one transaction.
func (s *Server) actUpdateProduct(ctx context.Context, a tuango.Actor, id string, change func(*tuango.Product) error) (*tuango.Product, error) {
	return s.svc.UpdateProduct(ctx, a, id, change)
}

// The day after the order: the leader's sign-off, pickups and closures,
// the operator's calendar, cutoff and dispatch.

// actSignDelivery signs for the leader's delivery of a date, once per key.
func (s *Server) actSignDelivery(ctx context.Context, a tuango.Actor, date string, lines []tuango.SignLine, key string) (*tuango.SignResult, error) {
	fp := "page sign " + date
	for _, l := range lines {
		fp += fmt.Sprintf(" %s:%d:%d", l.DealID, l.Received, l.Damaged)
	}
	ans, err := s.svc.SignDelivery(ctx, a, tuango.SignRequest{DeliveryDate: date, Lines: lines, Idem: &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: fp}})
	if err != nil {
		return nil, err
	}
	return ans.Value, nil
}

// actVerifyPickup hands an order over against its pickup code, once per key.
func (s *Server) actVerifyPickup(ctx context.Context, a tuango.Actor, code, key string) (*tuango.Order, error) {
	ans, err := s.svc.VerifyPickup(ctx, a, code, &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: "page pickup " + code})
	if err != nil {
		return nil, err
	}
	return ans.Value, nil
}

func (s *Server) actClosePickupPoint(ctx context.Context, a tuango.Actor, ppID, from, to, reason string) error {
	return s.svc.ClosePickupPoint(ctx, a, ppID, &tuango.Closure{From: from, To: to, Reason: reason})
}

func (s *Server) actCloseCity(ctx context.Context, a tuango.Actor, cityID, date, reason string) error {
	_, err := s.svc.CloseCity(ctx, a, cityID, date, reason)
	return err
}

func (s *Server) actCutoff(ctx context.Context, a tuango.Actor, cityID, date string) (*tuango.CutoffRun, error) {
	return s.svc.Cutoff(ctx, a, cityID, date)
}

func (s *Server) actDispatch(ctx context.Context, a tuango.Actor, routeID, date string) (int, error) {
	return s.svc.Dispatch(ctx, a, routeID, date)
}

func (s *Server) actMoveOrders(ctx context.Context, a tuango.Actor, fromID, toID, date string) (int, error) {
	return s.svc.MoveOrders(ctx, a, fromID, toID, date)
}

func (s *Server) actCancelClosedOrders(ctx context.Context, a tuango.Actor, ppID, date string) (tuango.ClosedOrders, error) {
	return s.svc.CancelClosedOrders(ctx, a, ppID, date)
}

func (s *Server) actCreateCoupon(ctx context.Context, a tuango.Actor, c *tuango.Coupon) error {
	return s.svc.CreateCoupon(ctx, a, c)
}

func (s *Server) actIssueCoupon(ctx context.Context, a tuango.Actor, couponID string, req tuango.IssueRequest) (int, error) {
	return s.svc.IssueCoupon(ctx, a, couponID, req)
}

// After-sales.

// actRequestAfterSale sends a customer's after-sales request, once per key.
func (s *Server) actRequestAfterSale(ctx context.Context, a tuango.Actor, req tuango.AfterSalesRequest, key string) (*tuango.AfterSale, error) {
	req.Idem = &tuango.Idempotency{Scope: a.UserID, Key: key,
		Fingerprint: fmt.Sprintf("page after-sales %s %d %d %s %q", req.OrderID, req.LineNo, req.Quantity, req.Reason, req.Note)}
	ans, err := s.svc.RequestAfterSale(ctx, a, req)
	if err != nil {
		return nil, err
	}
	return ans.Value, nil
}

func (s *Server) actApproveAfterSale(ctx context.Context, a tuango.Actor, id string) (*tuango.AfterSale, error) {
	return s.svc.ApproveAfterSale(ctx, a, id)
}

func (s *Server) actRejectAfterSale(ctx context.Context, a tuango.Actor, id, reason string) (*tuango.AfterSale, error) {
	return s.svc.RejectAfterSale(ctx, a, id, reason)
}

// Withdrawals and settlements.

// actRequestWithdrawal requests a withdrawal of amount, once per key.
func (s *Server) actRequestWithdrawal(ctx context.Context, a tuango.Actor, amount tuango.Fen, key string) (*tuango.Payout, error) {
	ans, err := s.svc.RequestWithdrawal(ctx, a, amount, &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: fmt.Sprintf("page withdraw %d", amount)})
	if err != nil {
		return nil, err
	}
	return ans.Value, nil
}

func (s *Server) actApproveWithdrawal(ctx context.Context, a tuango.Actor, id string) (*tuango.Payout, error) {
	return s.svc.ApproveWithdrawal(ctx, a, id)
}

func (s *Server) actRejectWithdrawal(ctx context.Context, a tuango.Actor, id, reason string) (*tuango.Payout, error) {
	return s.svc.RejectWithdrawal(ctx, a, id, reason)
}

func (s *Server) actSettle(ctx context.Context, a tuango.Actor, supplierID, to string) ([]tuango.Settlement, error) {
	return s.svc.Settle(ctx, a, supplierID, to)
}

// Telling people: feedback and webhooks (page_tell.go).

func (s *Server) actSendFeedback(ctx context.Context, a tuango.Actor, text, orderID string) (*tuango.Feedback, error) {
	return s.svc.SendFeedback(ctx, a, text, orderID)
}

func (s *Server) actHandleFeedback(ctx context.Context, a tuango.Actor, id string) (*tuango.Feedback, error) {
	return s.svc.HandleFeedback(ctx, a, id)
}

func (s *Server) actCreateWebhook(ctx context.Context, a tuango.Actor, req tuango.CreateWebhookRequest) (*tuango.Webhook, error) {
	return s.svc.CreateWebhook(ctx, a, req)
}

func (s *Server) actDeleteWebhook(ctx context.Context, a tuango.Actor, id string) error {
	return s.svc.DeleteWebhook(ctx, a, id)
}
