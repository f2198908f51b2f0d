package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

const couponColumns = `id, name, kind, amount_off_fen, min_spend_fen, valid_from, valid_to, created_by, created_at`

func scanCoupon(sc scanner, c *tuango.Coupon) error {
	var from, to, created int64
	err := sc.Scan(&c.ID, &c.Name, &c.Kind, &c.AmountOffFen, &c.MinSpendFen, &from, &to, &c.CreatedBy, &created)
	c.ValidFrom, c.ValidTo, c.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(created)
	return err
}

// CreateCoupon stores an operator's coupon.
func (s *Store) CreateCoupon(ctx context.Context, c *tuango.Coupon) error {
	_, err := s.exec(ctx, `INSERT INTO coupons (`+couponColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, string(c.Kind), c.AmountOffFen, c.MinSpendFen, micros(c.ValidFrom), micros(c.ValidTo), c.CreatedBy, micros(c.CreatedAt))
	return wrap(err, "create coupon %s", c.ID)
}

// FindCouponByID finds a coupon.
func (s *Store) FindCouponByID(ctx context.Context, id string) (*tuango.Coupon, error) {
	var c tuango.Coupon
	if err := scanCoupon(s.queryRow(ctx, `SELECT `+couponColumns+` FROM coupons WHERE id = ?`, id), &c); err != nil {
		return nil, wrap(notFound(err), "find coupon %s", id)
	}
	return &c, nil
}

// FindCoupons lists every coupon, newest first.
func (s *Store) FindCoupons(ctx context.Context) ([]tuango.Coupon, error) {
	cs, err := queryAll(s, ctx, scanCoupon, `SELECT `+couponColumns+` FROM coupons ORDER BY created_at DESC, id`)
	return cs, wrap(err, "find coupons")
}

// IssueCoupons stores customer coupons, skipping each whose customer
// already holds its coupon, and reports how many it stored.
func (s *Store) IssueCoupons(ctx context.Context, cs []*tuango.CustomerCoupon) (int, error) {
	n := 0
	for _, c := range cs {
		ok, err := s.execOne(ctx, `INSERT INTO customer_coupons (id, coupon_id, user_id, status, issued_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (coupon_id, user_id) DO NOTHING`, c.ID, c.CouponID, c.UserID, string(c.Status), micros(c.IssuedAt))
		if err != nil {
			return n, wrap(err, "issue coupon %s to %s", c.CouponID, c.UserID)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

const customerCouponSelect = `SELECT u.id, u.coupon_id, u.user_id, u.status, u.order_id, u.issued_at, u.used_at,
	c.id, c.name, c.kind, c.amount_off_fen, c.min_spend_fen, c.valid_from, c.valid_to, c.created_by, c.created_at
	FROM customer_coupons u JOIN coupons c ON c.id = u.coupon_id`

func scanCustomerCoupon(sc scanner, u *tuango.CustomerCoupon) error {
	var issued, used, from, to, created int64
	c := &u.Coupon
	err := sc.Scan(&u.ID, &u.CouponID, &u.UserID, &u.Status, &u.OrderID, &issued, &used,
		&c.ID, &c.Name, &c.Kind, &c.AmountOffFen, &c.MinSpendFen, &from, &to, &c.CreatedBy, &created)
	u.IssuedAt, u.UsedAt = fromMicros(issued), fromMicros(used)
	c.ValidFrom, c.ValidTo, c.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(created)
	return err
}

// FindCustomerCoupons lists customer coupons with their coupons' terms,
// the newest issued first.
func (s *Store) FindCustomerCoupons(ctx context.Context, f tuango.CustomerCouponFilter) ([]tuango.CustomerCoupon, error) {
	const order = ` ORDER BY u.issued_at DESC, u.id`
	if f.IDs == nil {
		if f.UserID == "" {
			return nil, tuango.Errorf(tuango.CodeInternal, "sqlstore: find customer coupons of no one")
		}
		cs, err := queryAll(s, ctx, scanCustomerCoupon, customerCouponSelect+` WHERE u.user_id = ?`+order, f.UserID)
		return cs, wrap(err, "find coupons of %s", f.UserID)
	}
	var out []tuango.CustomerCoupon
	seen := map[string]bool{}
	err := inChunks(f.IDs, func(marks string, args []any) error {
		q, all := customerCouponSelect+` WHERE u.id IN (`+marks+`)`, args
		if f.UserID != "" {
			q, all = q+` AND u.user_id = ?`, append(args, f.UserID)
		}
		cs, err := queryAll(s, ctx, scanCustomerCoupon, q+order, all...)
		for _, c := range cs {
			if !seen[c.ID] { // padded chunks may repeat an id
				seen[c.ID], out = true, append(out, c)
			}
		}
		return err
	})
	return out, wrap(err, "find %d customer coupons", len(f.IDs))
}

// UseCustomerCoupon marks an available customer coupon used on an order.
func (s *Store) UseCustomerCoupon(ctx context.Context, id, orderID string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE customer_coupons SET status = 'used', order_id = ?, used_at = ? WHERE id = ? AND status = 'available'`,
		orderID, micros(at), id)
	return ok, wrap(err, "use coupon %s on order %s", id, orderID)
}

// ReturnCustomerCoupon makes a customer coupon used on an order available
// again.
func (s *Store) ReturnCustomerCoupon(ctx context.Context, id, orderID string) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE customer_coupons SET status = 'available', order_id = '', used_at = 0
		WHERE id = ? AND status = 'used' AND order_id = ?`, id, orderID)
	return ok, wrap(err, "return coupon %s from order %s", id, orderID)
}

// HasPaidOrder reports whether a customer has ever paid for an order.
func (s *Store) HasPaidOrder(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE user_id = ? AND paid_at > 0 LIMIT 1) p`, userID).Scan(&n)
	return n > 0, wrap(err, "find a paid order of %s", userID)
}

// FindNewCustomers returns the ids of every customer who has never paid
// for an order, in id order.
func (s *Store) FindNewCustomers(ctx context.Context) ([]string, error) {
	ids, err := queryAll(s, ctx, func(sc scanner, id *string) error { return sc.Scan(id) },
		`SELECT id FROM users WHERE role = 'customer'
		AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = users.id AND o.paid_at > 0) ORDER BY id`)
	return ids, wrap(err, "find new customers")
}
