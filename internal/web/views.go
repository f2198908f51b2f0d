package web

import "tuango/internal/tuango"

// The JSON shapes of the API: snake_case, ids as strings, money in fen,
// times in RFC 3339.

type userView struct {
	ID                string `json:"id"`
	Phone             string `json:"phone"`
	Name              string `json:"name"`
	Role              string `json:"role"`
	HomePickupPointID string `json:"home_pickup_point_id,omitempty"`
	CreatedAt         string `json:"created_at"`
}

func viewUser(u *tuango.User) userView {
	return userView{ID: u.ID, Phone: u.Phone, Name: u.Name, Role: string(u.Role), HomePickupPointID: u.HomePickupPointID, CreatedAt: formatTime(u.CreatedAt)}
}

type pickupPointView struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Address       string `json:"address"`
	CityID        string `json:"city_id"`
	RouteID       string `json:"route_id,omitempty"`
	LeaderID      string `json:"leader_id,omitempty"`
	CommissionBps int    `json:"commission_bps"`
	Active        bool   `json:"active"`
	StopSeq       int    `json:"stop_seq"`
}

func viewPickupPoint(p *tuango.PickupPoint) pickupPointView {
	return pickupPointView{ID: p.ID, Name: p.Name, Address: p.Address, CityID: p.CityID, RouteID: p.RouteID,
		LeaderID: p.LeaderID, CommissionBps: p.CommissionBps, Active: p.Active, StopSeq: p.StopSeq}
}

type dealView struct {
	ID               string     `json:"id"`
	Title            string     `json:"title"`
	ProductID        string     `json:"product_id"`
	CityID           string     `json:"city_id"`
	PriceFen         tuango.Fen `json:"price_fen"`
	ListPriceFen     tuango.Fen `json:"list_price_fen"`
	StockRemaining   int        `json:"stock_remaining"`
	SoldOut          bool       `json:"sold_out"`
	LimitPerCustomer int        `json:"limit_per_customer"`
	SaleStartsAt     string     `json:"sale_starts_at"`
	SaleEndsAt       string     `json:"sale_ends_at"`
	DeliveryDate     string     `json:"delivery_date"`
	// Flash marks a flash deal (秒杀), whose unpaid orders expire sooner.
	Flash bool `json:"flash"`
	// Operators also see the stock and what is reserved.
	Stock    *int `json:"stock,omitempty"`
	Reserved *int `json:"reserved,omitempty"`
}

func viewDeal(d *tuango.Deal, staff bool) dealView {
	v := dealView{ID: d.ID, Title: d.Title, ProductID: d.ProductID, CityID: d.CityID, PriceFen: d.PriceFen, ListPriceFen: d.ListPriceFen,
		StockRemaining: d.Remaining(), SoldOut: d.Remaining() <= 0, LimitPerCustomer: d.LimitPerCustomer,
		SaleStartsAt: formatTime(d.SaleStartsAt), SaleEndsAt: formatTime(d.SaleEndsAt), DeliveryDate: d.DeliveryDate, Flash: d.Flash}
	if staff {
		v.Stock, v.Reserved = &d.Stock, &d.Reserved
	}
	return v
}

type orderLineView struct {
	LineNo        int        `json:"line_no"`
	DealID        string     `json:"deal_id"`
	Title         string     `json:"title"`
	Quantity      int        `json:"quantity"`
	UnitPriceFen  tuango.Fen `json:"unit_price_fen"`
	AmountFen     tuango.Fen `json:"amount_fen"`
	CommissionBps int        `json:"commission_bps"`
	RefundedQty   int        `json:"refunded_quantity"`
	RefundedFen   tuango.Fen `json:"refunded_fen"`
	PaidFen       tuango.Fen `json:"paid_fen"`
}

type orderView struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	UserID        string          `json:"user_id"`
	PickupPointID string          `json:"pickup_point_id"`
	CityID        string          `json:"city_id"`
	TotalFen      tuango.Fen      `json:"total_fen"`
	DiscountFen   tuango.Fen      `json:"discount_fen"`
	CouponID      string          `json:"coupon_id,omitempty"`
	Items         []orderLineView `json:"items"`
	CreatedAt     string          `json:"created_at"`
	ExpiresAt     string          `json:"expires_at"`
	PaidAt        string          `json:"paid_at,omitempty"`
	CancelledAt   string          `json:"cancelled_at,omitempty"`
	CancelReason  string          `json:"cancel_reason,omitempty"`
	DeliveryDate  string          `json:"delivery_date"`
	RefundedFen   tuango.Fen      `json:"refunded_fen"`
	// The money a cancellation gives back, and whether the provider has
	// paid it out yet: apart from refunded_fen, which stays the refunds
	// of goods short or damaged (docs/decisions.md).
	CancelRefundFen    tuango.Fen     `json:"cancel_refund_fen,omitempty"`
	CancelRefundStatus string         `json:"cancel_refund_status,omitempty"`
	PickupCode         string         `json:"pickup_code,omitempty"`
	Timeline           []timelineView `json:"timeline"`
}

type timelineView struct {
	Status string `json:"status"`
	At     string `json:"at"`
	By     string `json:"by"`
}

func viewOrder(o *tuango.Order) orderView {
	v := orderView{ID: o.ID, Status: string(o.Status), UserID: o.UserID, PickupPointID: o.PickupPointID, CityID: o.CityID, TotalFen: o.TotalFen,
		DiscountFen: o.DiscountFen, CouponID: o.CustomerCouponID, Items: make([]orderLineView, 0, len(o.Lines)), CreatedAt: formatTime(o.CreatedAt), ExpiresAt: formatTime(o.ExpiresAt),
		PaidAt: formatTime(o.PaidAt), CancelledAt: formatTime(o.CancelledAt), CancelReason: o.CancelReason,
		DeliveryDate: o.DeliveryDate, RefundedFen: o.RefundedFen, CancelRefundFen: o.CancelRefundFen, CancelRefundStatus: cancelRefundStatus(o), PickupCode: o.PickupCode,
		Timeline: []timelineView{{Status: string(tuango.OrderPendingPayment), At: formatTime(o.CreatedAt), By: string(tuango.MoverCustomer)}}}
	for _, e := range o.Timeline {
		v.Timeline = append(v.Timeline, timelineView{Status: string(e.Status), At: formatTime(e.At), By: string(e.Mover)})
	}
	for _, l := range o.Lines {
		v.Items = append(v.Items, orderLineView{LineNo: l.LineNo, DealID: l.DealID, Title: l.Title, Quantity: l.Quantity,
			UnitPriceFen: l.UnitPriceFen, AmountFen: l.AmountFen, CommissionBps: l.CommissionBps, RefundedQty: l.RefundedQuantity, RefundedFen: l.RefundedFen, PaidFen: l.PaidFen})
	}
	return v
}

// cancelRefundStatus is where an order's cancellation refund is: none,
// pending until the provider has paid all of it out, then succeeded.
func cancelRefundStatus(o *tuango.Order) string {
	switch {
	case o.CancelRefundFen == 0:
		return ""
	case o.CancelRefundPaidFen < o.CancelRefundFen:
		return string(tuango.RefundPending)
	}
	return string(tuango.RefundSucceeded)
}

type paymentView struct {
	ID            string     `json:"id"`
	OrderID       string     `json:"order_id"`
	Provider      string     `json:"provider"`
	Status        string     `json:"status"`
	AmountFen     tuango.Fen `json:"amount_fen"`
	PayURL        string     `json:"pay_url,omitempty"`
	ProviderTxnID string     `json:"provider_txn_id,omitempty"`
	CreatedAt     string     `json:"created_at"`
	SucceededAt   string     `json:"succeeded_at,omitempty"`
}

func viewPayment(p *tuango.Payment) paymentView {
	return paymentView{ID: p.ID, OrderID: p.OrderID, Provider: p.Provider, Status: string(p.Status), AmountFen: p.AmountFen,
		PayURL: p.PayURL, ProviderTxnID: p.ProviderTxnID, CreatedAt: formatTime(p.CreatedAt), SucceededAt: formatTime(p.SucceededAt)}
}

type supplierView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

func viewSupplier(s *tuango.Supplier) supplierView {
	return supplierView{ID: s.ID, Name: s.Name, Contact: s.Contact}
}

type productView struct {
	ID         string     `json:"id"`
	SupplierID string     `json:"supplier_id"`
	Name       string     `json:"name"`
	Category   string     `json:"category"`
	Unit       string     `json:"unit"`
	CostFen    tuango.Fen `json:"cost_fen"`
}

func viewProduct(p *tuango.Product) productView {
	return productView{ID: p.ID, SupplierID: p.SupplierID, Name: p.Name, Category: p.Category, Unit: p.Unit, CostFen: p.CostFen}
}

type cityView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	Cutoff   string `json:"cutoff"`
}

func viewCity(c *tuango.City) cityView {
	return cityView{ID: c.ID, Name: c.Name, TimeZone: c.TimeZone, Cutoff: c.Cutoff}
}

type list[T any] struct {
	Items []T `json:"items"`
}

func listOf[S any, T any](items []S, view func(*S) T) list[T] {
	out := list[T]{Items: make([]T, 0, len(items))}
	for i := range items {
		out.Items = append(out.Items, view(&items[i]))
	}
	return out
}
