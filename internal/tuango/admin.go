package tuango

import (
	"context"
	"fmt"
	"time"
)

// The operator's catalogue. Each Create adds a row; each Update applies a
// change to the row as it stands, in one transaction with the write (see
// update), so that two operators editing different fields at once both
// keep their edits.

// ListCities returns every city.
func (s *Service) ListCities(ctx context.Context, a Actor) ([]City, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindCities(ctx)
}

// ListSuppliers returns every supplier.
func (s *Service) ListSuppliers(ctx context.Context, a Actor) ([]Supplier, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindSuppliers(ctx)
}

// asStaff runs fn in one transaction for an operator or admin, and refuses
// anyone else: every change to the catalogue goes through here.
func (s *Service) asStaff(ctx context.Context, a Actor, fn func(tx Store, now time.Time) error) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error { return fn(tx, s.clock.Now()) })
}

// update is the shape of every change an operator makes to one row: in
// one transaction the row is locked, read, changed by change, checked and
// written by save. change gets a copy of the row; save gets the row as it
// was and the changed copy, and may amend the copy before writing it.
func update[T any](ctx context.Context, s *Service, a Actor, e Entity, id string,
	find func(Store, context.Context, string) (*T, error), change func(*T) error, save func(tx Store, now time.Time, old, cur *T) error) (*T, error) {
	var cur *T
	err := s.asStaff(ctx, a, func(tx Store, now time.Time) error {
		if err := tx.Lock(ctx, e, id); err != nil {
			return err
		}
		old, err := find(tx, ctx, id)
		if err != nil {
			return err
		}
		next := *old
		if err := change(&next); err != nil {
			return err
		}
		if err := save(tx, now, old, &next); err != nil {
			return err
		}
		cur = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cur, nil
}

// CreateSupplier adds a supplier.
func (s *Service) CreateSupplier(ctx context.Context, a Actor, sup *Supplier) error {
	return s.asStaff(ctx, a, func(tx Store, _ time.Time) error {
		if err := sup.Validate(); err != nil {
			return err
		}
		sup.ID = s.newID("sup")
		return tx.CreateSupplier(ctx, sup)
	})
}

// UpdateSupplier changes a supplier.
func (s *Service) UpdateSupplier(ctx context.Context, a Actor, id string, change func(*Supplier) error) (*Supplier, error) {
	return update(ctx, s, a, EntitySupplier, id, Store.FindSupplierByID, change, func(tx Store, _ time.Time, old, sup *Supplier) error {
		sup.ID = old.ID
		if err := sup.Validate(); err != nil {
			return err
		}
		return tx.UpdateSupplier(ctx, sup)
	})
}

// CreateProduct adds a product of a supplier.
func (s *Service) CreateProduct(ctx context.Context, a Actor, p *Product) error {
	return s.asStaff(ctx, a, func(tx Store, _ time.Time) error {
		if err := checkProduct(ctx, tx, p); err != nil {
			return err
		}
		p.ID = s.newID("prd")
		return tx.CreateProduct(ctx, p)
	})
}

// UpdateProduct changes a product.
func (s *Service) UpdateProduct(ctx context.Context, a Actor, id string, change func(*Product) error) (*Product, error) {
	return update(ctx, s, a, EntityProduct, id, Store.FindProductByID, change, func(tx Store, _ time.Time, old, p *Product) error {
		p.ID = old.ID
		if err := checkProduct(ctx, tx, p); err != nil {
			return err
		}
		return tx.UpdateProduct(ctx, p)
	})
}

func checkProduct(ctx context.Context, tx Store, p *Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return mustExist("supplier_id", "no supplier has this id", func() error { _, err := tx.FindSupplierByID(ctx, p.SupplierID); return err })
}

// mustExist turns a finder's not_found into a validation error of field.
func mustExist(field, message string, find func() error) error {
	err := find()
	if IsNotFound(err) {
		return FieldError(field, "%s", message)
	}
	return err
}

// GetDeal returns one deal, for operators.
func (s *Service) GetDeal(ctx context.Context, a Actor, id string) (*Deal, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindDealByID(ctx, id)
}

// CreateDeal publishes a deal and records its first price.
func (s *Service) CreateDeal(ctx context.Context, a Actor, d *Deal) error {
	return s.asStaff(ctx, a, func(tx Store, now time.Time) error {
		d.ID, d.Reserved, d.CreatedAt, d.UpdatedAt = s.newID("deal"), 0, now, now
		if err := checkDeal(ctx, tx, d, now); err != nil {
			return err
		}
		if !d.SaleEndsAt.After(now) { // an old deal may be edited after its sale; none is made over
			return &Error{Code: CodeInvalid, Field: "sale_ends_at", Message: "is already past: a new deal must still be on sale after now"}
		}
		if err := tx.CreateDeal(ctx, d); err != nil {
			return err
		}
		return tx.AddDealPrice(ctx, &DealPrice{DealID: d.ID, PriceFen: d.PriceFen, ListPriceFen: d.ListPriceFen, EffectiveAt: now})
	})
}

// UpdateDeal changes a deal's terms, recording its price history whenever
// the price changes. What is reserved and when it was created stay.
func (s *Service) UpdateDeal(ctx context.Context, a Actor, id string, change func(*Deal) error) (*Deal, error) {
	return update(ctx, s, a, EntityDeal, id, Store.FindDealByID, change, func(tx Store, now time.Time, old, d *Deal) error {
		d.ID, d.Reserved, d.CreatedAt, d.UpdatedAt = old.ID, old.Reserved, old.CreatedAt, now
		if err := checkDeal(ctx, tx, d, now); err != nil {
			return err
		}
		if err := tx.UpdateDeal(ctx, d); err != nil {
			return err
		}
		if old.Stock != d.Stock {
			if err := s.auditStock(ctx, tx, d, old.Stock, now); err != nil {
				return err
			}
		}
		s.soldOut.clear(d.ID) // the stock may have grown
		if old.PriceFen == d.PriceFen && old.ListPriceFen == d.ListPriceFen {
			return nil
		}
		return tx.AddDealPrice(ctx, &DealPrice{DealID: d.ID, PriceFen: d.PriceFen, ListPriceFen: d.ListPriceFen, EffectiveAt: now})
	})
}

// checkDeal validates a deal and what it names, and titles it after its
// product if it has no title. A deal still on sale after now must be for
// a delivery date whose cutoff has not begun: the cutoff bought that
// date's orders from the suppliers, so an order placed after it would be
// paid for and never delivered. The city is locked first, as the
// cutoff's start locks it, so that the two cannot pass each other.
func checkDeal(ctx context.Context, tx Store, d *Deal, now time.Time) error {
	if err := d.Validate(); err != nil {
		return err
	}
	d.SaleStartsAt, d.SaleEndsAt = Truncate(d.SaleStartsAt), Truncate(d.SaleEndsAt)
	var prd *Product
	err := mustExist("product_id", "no product has this id", func() (err error) { prd, err = tx.FindProductByID(ctx, d.ProductID); return err })
	if err != nil {
		return err
	}
	if err := mustExist("city_id", "no city has this id", func() error { _, err := tx.FindCityByID(ctx, d.CityID); return err }); err != nil {
		return err
	}
	if d.SaleEndsAt.After(now) {
		if err := tx.Lock(ctx, EntityCity, d.CityID); err != nil {
			return err
		}
		c, err := tx.FindCutoff(ctx, d.CityID, d.DeliveryDate)
		switch {
		case err == nil:
			return &Error{Code: CodeCutoffPassed, Field: "delivery_date", Message: fmt.Sprintf("the cutoff for %s in this city began at %s and its orders went to the suppliers; choose a later delivery date, or end the sale now", d.DeliveryDate, c.StartedAt.Format(time.RFC3339))}
		case !IsNotFound(err):
			return err
		}
	}
	if d.Title == "" {
		d.Title = prd.Name
	}
	return nil
}

// GetPickupPoint returns one pickup point; anyone may read them.
func (s *Service) GetPickupPoint(ctx context.Context, id string) (*PickupPoint, error) {
	return s.Catalog().FindPickupPointByID(ctx, id)
}

// ListPickupPoints returns the open pickup points, optionally of one city.
func (s *Service) ListPickupPoints(ctx context.Context, cityID string) ([]PickupPoint, error) {
	pps, err := s.Catalog().FindPickupPoints(ctx, PickupPointFilter{CityID: cityID})
	if err != nil {
		return nil, err
	}
	open := pps[:0]
	for _, p := range pps {
		if p.Active {
			open = append(open, p)
		}
	}
	return open, nil
}

// CreatePickupPoint adds a pickup point.
func (s *Service) CreatePickupPoint(ctx context.Context, a Actor, p *PickupPoint) error {
	return s.asStaff(ctx, a, func(tx Store, _ time.Time) error {
		if err := checkPickupPoint(ctx, tx, p); err != nil {
			return err
		}
		p.ID = s.newID("pp")
		return tx.CreatePickupPoint(ctx, p)
	})
}

// UpdatePickupPoint changes a pickup point.
func (s *Service) UpdatePickupPoint(ctx context.Context, a Actor, id string, change func(*PickupPoint) error) (*PickupPoint, error) {
	return update(ctx, s, a, EntityPickupPoint, id, Store.FindPickupPointByID, change, func(tx Store, _ time.Time, old, p *PickupPoint) error {
		p.ID = old.ID
		if err := checkPickupPoint(ctx, tx, p); err != nil {
			return err
		}
		return tx.UpdatePickupPoint(ctx, p)
	})
}

// checkPickupPoint validates a pickup point and what it names.
func checkPickupPoint(ctx context.Context, tx Store, p *PickupPoint) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := mustExist("city_id", "no city has this id", func() error { _, err := tx.FindCityByID(ctx, p.CityID); return err }); err != nil {
		return err
	}
	if p.RouteID != "" {
		if err := mustExist("route_id", "no route has this id", func() error { _, err := tx.FindRouteByID(ctx, p.RouteID); return err }); err != nil {
			return err
		}
	}
	if p.LeaderID != "" {
		return mustExist("leader_id", "no group leader has this id", func() error {
			u, err := tx.FindUserByID(ctx, p.LeaderID)
			if err == nil && u.Role != RoleLeader {
				return ErrNotFound
			}
			return err
		})
	}
	return nil
}

// CreateLeader creates a group leader's account.
func (s *Service) CreateLeader(ctx context.Context, a Actor, acc NewAccount) (*User, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	acc.Role = RoleLeader
	return s.CreateUser(ctx, acc)
}

// GetLeader returns a group leader's account.
func (s *Service) GetLeader(ctx context.Context, a Actor, id string) (*User, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return findLeader(s.store, ctx, id)
}

// ListLeaders returns the group leaders whose name or phone contains
// query (every leader when it is empty), by name, at most limit of them.
func (s *Service) ListLeaders(ctx context.Context, a Actor, query string, limit int) ([]User, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindUsers(ctx, UserFilter{Role: RoleLeader, Query: query, Limit: limit})
}

// findLeader finds a user who is a group leader; anyone else is not found.
func findLeader(tx Store, ctx context.Context, id string) (*User, error) {
	u, err := tx.FindUserByID(ctx, id)
	if err == nil && u.Role != RoleLeader {
		return nil, ErrNotFound
	}
	return u, err
}

// UpdateLeader changes a group leader's name; nothing else of the account
// changes here.
func (s *Service) UpdateLeader(ctx context.Context, a Actor, id string, change func(*User) error) (*User, error) {
	u, err := update(ctx, s, a, EntityUser, id, findLeader, change, func(tx Store, _ time.Time, old, u *User) error {
		name, err := CheckPersonName(u.Name)
		if err != nil {
			return err
		}
		*u = *old
		u.Name = name
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	return u, nil
}

// LiveDeals returns the deals on sale now in a pickup point's city.
func (s *Service) LiveDeals(ctx context.Context, pickupPointID string) ([]Deal, error) {
	if err := checkID("pickup_point_id", pickupPointID); err != nil {
		return nil, err
	}
	cat := s.Catalog()
	pp, err := cat.FindPickupPointByID(ctx, pickupPointID)
	if IsNotFound(err) || (err == nil && !pp.Active) {
		return nil, FieldError("pickup_point_id", "no open pickup point has this id")
	}
	if err != nil {
		return nil, err
	}
	return cat.FindDeals(ctx, DealFilter{CityID: pp.CityID, LiveAt: s.clock.Now()})
}
