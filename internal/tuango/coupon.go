package tuango

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"time"
)

// Coupons. An operator defines a coupon (an amount off above a minimum
// spend) and issues it to customers; each customer holds a coupon at most
// once, as a customer coupon, and applies at most one to an order when it
// is placed. The discount is split onto the order's lines (splitDiscount),
// and from then on each line's PaidFen is what refunds and commission are
// based on. The platform carries the discount.

// CouponKind is who a coupon is for.
type CouponKind string

// Coupon kinds.
const (
	// CouponThreshold is an amount off an order above a minimum spend (满减).
	CouponThreshold CouponKind = "threshold"
	// CouponNewCustomer applies only to a customer who has never paid for
	// an order (新人券).
	CouponNewCustomer CouponKind = "new_customer"
)

// CouponStatus is where a customer coupon stands for its holder.
type CouponStatus string

// Customer coupon states. Only available and used are stored; expired and
// upcoming are an available coupon seen outside its validity.
const (
	CouponAvailable CouponStatus = "available"
	CouponUsed      CouponStatus = "used"
	CouponExpired   CouponStatus = "expired"
	CouponUpcoming  CouponStatus = "upcoming"
)

// MaxIssue bounds how many customers one issue call may name.
const MaxIssue = 10_000

// Coupon is an operator's coupon: AmountOffFen off an order of at least
// MinSpendFen, valid from ValidFrom until (not including) ValidTo.
type Coupon struct {
	ID           string
	Name         string
	Kind         CouponKind
	AmountOffFen Fen
	MinSpendFen  Fen
	ValidFrom    time.Time
	ValidTo      time.Time
	CreatedBy    string
	CreatedAt    time.Time
}

// Validate checks a coupon's terms. The minimum spend must be above the
// amount off, so that every order with a coupon still pays at least a fen.
func (c *Coupon) Validate() error {
	var err error
	if c.Name, err = checkText("name", c.Name, true, 60); err != nil {
		return err
	}
	switch {
	case c.Kind != CouponThreshold && c.Kind != CouponNewCustomer:
		return FieldError("kind", "must be %q or %q", CouponThreshold, CouponNewCustomer)
	case c.AmountOffFen <= 0:
		return FieldError("amount_off_fen", "must be greater than zero")
	case c.MinSpendFen > MaxFen:
		return checkFen("min_spend_fen", c.MinSpendFen, false)
	case c.MinSpendFen <= c.AmountOffFen:
		return FieldError("min_spend_fen", "must be greater than amount_off_fen (%d), so that an order with the coupon still costs something", c.AmountOffFen)
	case c.ValidFrom.IsZero():
		return FieldError("valid_from", "is required")
	case c.ValidTo.IsZero():
		return FieldError("valid_to", "is required")
	case !c.ValidFrom.Before(c.ValidTo):
		return FieldError("valid_to", "must be after valid_from")
	}
	return nil
}

// CustomerCoupon is a coupon held by one customer, with its coupon's terms
// when read.
type CustomerCoupon struct {
	ID       string
	CouponID string
	UserID   string
	Status   CouponStatus // available or used, as stored
	OrderID  string       // the order it is used on, while used
	IssuedAt time.Time
	UsedAt   time.Time
	Coupon   Coupon
}

// StatusAt is the coupon's status as its holder sees it at now.
func (c *CustomerCoupon) StatusAt(now time.Time) CouponStatus {
	switch {
	case c.Status != CouponAvailable:
		return c.Status
	case !now.Before(c.Coupon.ValidTo):
		return CouponExpired
	case now.Before(c.Coupon.ValidFrom):
		return CouponUpcoming
	}
	return CouponAvailable
}

// CustomerCouponFilter selects customer coupons.
type CustomerCouponFilter struct {
	UserID string   // when set, only this customer's
	IDs    []string // when set, only these
}

// notApplicable is the refusal of a coupon for an order.
func notApplicable(format string, args ...any) *Error {
	return &Error{Code: CodeCouponNotApplicable, Field: "coupon_id", Message: fmt.Sprintf(format, args...)}
}

// applicable says whether customer coupon c may be applied by userID to an
// order of total fen at now; paidBefore is whether the customer has ever
// paid for an order (then they are no longer new).
func (c *CustomerCoupon) applicable(userID string, total Fen, paidBefore bool, now time.Time) error {
	if c == nil || c.UserID != userID {
		return notApplicable("you hold no coupon with this id")
	}
	switch c.StatusAt(now) {
	case CouponUsed:
		return notApplicable("this coupon is already used on order %s", c.OrderID)
	case CouponExpired:
		return notApplicable("this coupon expired at %s", c.Coupon.ValidTo.Format(time.RFC3339))
	case CouponUpcoming:
		return notApplicable("this coupon is valid from %s", c.Coupon.ValidFrom.Format(time.RFC3339))
	}
	if total < c.Coupon.MinSpendFen {
		return notApplicable("this coupon needs a spend of at least %s yuan; the order comes to %s", yuan(c.Coupon.MinSpendFen), yuan(total))
	}
	if c.Coupon.Kind == CouponNewCustomer && paidBefore {
		return notApplicable("this coupon is for new customers only, and you have paid for an order before")
	}
	return nil
}

// splitDiscount splits discount over lines of the given amounts, pro rata
// to the amounts: each line gets the floor of its exact share, and the fen
// left over go one each to the lines with the largest remainders, ties to
// the earlier line. The shares sum to discount, and none exceeds its
// line's amount while discount is below the amounts' sum. It panics on a
// negative amount or a discount outside [0, sum): callers check both.
func splitDiscount(amounts []Fen, discount Fen) []Fen {
	var total Fen
	for _, a := range amounts {
		if a < 0 {
			panic("tuango: split of a negative amount")
		}
		total += a
	}
	shares := make([]Fen, len(amounts))
	if discount == 0 {
		return shares
	}
	if discount < 0 || discount >= total {
		panic(fmt.Sprintf("tuango: split of %d fen over %d", discount, total))
	}
	rems := make([]uint64, len(amounts))
	left := discount
	for i, a := range amounts {
		// discount*a/total exactly, in 128 bits: no product overflows.
		hi, lo := bits.Mul64(uint64(discount), uint64(a))
		q, r := bits.Div64(hi, lo, uint64(total))
		shares[i], rems[i] = Fen(q), r
		left -= Fen(q)
	}
	order := make([]int, len(amounts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return rems[order[x]] > rems[order[y]] })
	for _, i := range order[:left] {
		shares[i]++
	}
	return shares
}

// applyDiscount takes discount off o's lines (see splitDiscount) and sets
// each line's PaidFen and the order's DiscountFen.
func (o *Order) applyDiscount(discount Fen) {
	amounts := make([]Fen, len(o.Lines))
	for i, l := range o.Lines {
		amounts[i] = l.AmountFen
	}
	shares := splitDiscount(amounts, discount)
	for i := range o.Lines {
		o.Lines[i].PaidFen = o.Lines[i].AmountFen - shares[i]
	}
	o.DiscountFen = discount
}

// PayableFen is what the customer pays for the order: its total less the
// coupon's discount.
func (o Order) PayableFen() Fen { return o.TotalFen - o.DiscountFen }

// RefundFor is what refunding n more units of the line gives back: the
// part of its paid amount those units carry, counted so that refunding
// every unit gives back exactly PaidFen, and never more than what is left
// of it.
func (l *OrderLine) RefundFor(n int) Fen {
	upTo := func(k int) Fen {
		hi, lo := bits.Mul64(uint64(l.PaidFen), uint64(k))
		q, _ := bits.Div64(hi, lo, uint64(l.Quantity))
		return Fen(q)
	}
	n = min(n, l.Quantity-l.RefundedQuantity)
	if n <= 0 || l.PaidFen <= 0 {
		return 0
	}
	return max(0, min(upTo(l.RefundedQuantity+n)-upTo(l.RefundedQuantity), l.PaidFen-l.RefundedFen))
}

// CreateCoupon defines a coupon.
func (s *Service) CreateCoupon(ctx context.Context, a Actor, c *Coupon) error {
	return s.asStaff(ctx, a, func(tx Store, now time.Time) error {
		c.ValidFrom, c.ValidTo = Truncate(c.ValidFrom), Truncate(c.ValidTo)
		if err := c.Validate(); err != nil {
			return err
		}
		c.ID, c.CreatedBy, c.CreatedAt = s.newID("cpn"), a.UserID, now
		return tx.CreateCoupon(ctx, c)
	})
}

// ListCoupons returns every coupon, newest first.
func (s *Service) ListCoupons(ctx context.Context, a Actor) ([]Coupon, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindCoupons(ctx)
}

// IssueRequest names who gets a coupon: customers by id, by phone, or
// every new customer (one who has never paid for an order).
type IssueRequest struct {
	UserIDs         []string
	Phones          []string
	AllNewCustomers bool
}

// IssueCoupon gives a coupon to customers and reports how many got it now.
// A customer holds a coupon once: issuing it again to a holder, whether
// they used it or not, changes nothing and is not counted.
func (s *Service) IssueCoupon(ctx context.Context, a Actor, couponID string, req IssueRequest) (int, error) {
	if err := a.RequireStaff(); err != nil {
		return 0, err // before judging the request: a customer learns nothing of it
	}
	n := len(req.UserIDs) + len(req.Phones)
	switch {
	case n == 0 && !req.AllNewCustomers:
		return 0, FieldError("user_ids", "name at least one customer, or set all_new_customers")
	case n > 0 && req.AllNewCustomers:
		return 0, FieldError("all_new_customers", "name customers or set all_new_customers, not both")
	case n > MaxIssue:
		return 0, FieldError("user_ids", "names %d customers; at most %d at once", n, MaxIssue)
	}
	issued := 0
	err := s.asStaff(ctx, a, func(tx Store, now time.Time) error {
		issued = 0
		c, err := tx.FindCouponByID(ctx, couponID)
		if err != nil {
			return err
		}
		if !now.Before(c.ValidTo) {
			return Errorf(CodeConflict, "coupon %s expired at %s and can no longer be issued", c.ID, c.ValidTo.Format(time.RFC3339))
		}
		users, err := s.issueTargets(ctx, tx, req)
		if err != nil {
			return err
		}
		rows := make([]*CustomerCoupon, 0, len(users))
		for _, u := range users {
			rows = append(rows, &CustomerCoupon{ID: s.newID("ucp"), CouponID: c.ID, UserID: u, Status: CouponAvailable, IssuedAt: now})
		}
		if issued, err = tx.IssueCoupons(ctx, rows); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, AuditRecord{Kind: AuditCouponsIssued, Subject: "coupon:" + c.ID, At: now,
			Detail: auditDetail(map[string]any{"asked": len(users), "issued": issued, "amount_off_fen": c.AmountOffFen})})
	})
	return issued, err
}

// issueTargets resolves an issue request to customers' ids, each once; a
// name that is not a customer is refused.
func (s *Service) issueTargets(ctx context.Context, tx Store, req IssueRequest) ([]string, error) {
	if req.AllNewCustomers {
		return tx.FindNewCustomers(ctx)
	}
	seen := map[string]bool{}
	var ids []string
	add := func(field, what, v string, find func(context.Context, string) (*User, error)) error {
		u, err := find(ctx, v)
		if IsNotFound(err) || (err == nil && u.Role != RoleCustomer) {
			return FieldError(field, "no customer has the %s %s", what, v)
		}
		if err == nil && !seen[u.ID] {
			seen[u.ID], ids = true, append(ids, u.ID)
		}
		return err
	}
	for i, id := range req.UserIDs {
		field := "user_ids[" + itoa(i) + "]"
		if err := checkID(field, id); err != nil {
			return nil, err
		}
		if err := add(field, "id", id, tx.FindUserByID); err != nil {
			return nil, err
		}
	}
	for i, phone := range req.Phones {
		if err := add("phones["+itoa(i)+"]", "phone number", phone, tx.FindUserByPhone); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// MyCoupons returns the caller's coupons, the newest issued first.
func (s *Service) MyCoupons(ctx context.Context, a Actor) ([]CustomerCoupon, error) {
	if a.UserID == "" {
		return nil, Errorf(CodeUnauthorized, "log in to see your coupons")
	}
	return s.store.FindCustomerCoupons(ctx, CustomerCouponFilter{UserID: a.UserID})
}

// CouponChoice is a coupon the caller could apply to an order of a given
// total, and what the order would then cost.
type CouponChoice struct {
	Coupon      CustomerCoupon
	DiscountFen Fen
	PayFen      Fen
}

// ApplicableCoupons returns the caller's coupons that apply now to an
// order of the given total, the largest discount first: what checkout
// offers. Placing the order checks again.
func (s *Service) ApplicableCoupons(ctx context.Context, a Actor, total Fen) ([]CouponChoice, error) {
	mine, err := s.MyCoupons(ctx, a)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	paid := false
	for _, c := range mine {
		if c.Coupon.Kind == CouponNewCustomer {
			if paid, err = s.store.HasPaidOrder(ctx, a.UserID); err != nil {
				return nil, err
			}
			break
		}
	}
	var out []CouponChoice
	for _, c := range mine {
		if c.applicable(a.UserID, total, paid, now) == nil {
			out = append(out, CouponChoice{Coupon: c, DiscountFen: c.Coupon.AmountOffFen, PayFen: total - c.Coupon.AmountOffFen})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DiscountFen > out[j].DiscountFen })
	return out, nil
}

// giveBackCoupon returns the coupon an order used to its holder: called by
// cancel, so that every cancellation and expiry gives it back.
func giveBackCoupon(ctx context.Context, tx Store, o *Order) error {
	if o.CustomerCouponID == "" {
		return nil
	}
	ok, err := tx.ReturnCustomerCoupon(ctx, o.CustomerCouponID, o.ID)
	if err == nil && !ok {
		err = Errorf(CodeInternal, "coupon %s of order %s was not in use by it", o.CustomerCouponID, o.ID)
	}
	return err
}
