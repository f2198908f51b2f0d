package tuango

import (
	"context"
)

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

// GetSupplier returns one supplier.
func (s *Service) GetSupplier(ctx context.Context, a Actor, id string) (*Supplier, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindSupplierByID(ctx, id)
}

// SaveSupplier creates a supplier (empty ID) or updates one.
func (s *Service) SaveSupplier(ctx context.Context, a Actor, sup *Supplier) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	if err := sup.Validate(); err != nil {
		return err
	}
	if sup.ID == "" {
		sup.ID = s.newID("sup")
		return s.store.CreateSupplier(ctx, sup)
	}
	return s.store.UpdateSupplier(ctx, sup)
}

// GetProduct returns one product.
func (s *Service) GetProduct(ctx context.Context, a Actor, id string) (*Product, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindProductByID(ctx, id)
}

// SaveProduct creates a product (empty ID) or updates one.
func (s *Service) SaveProduct(ctx context.Context, a Actor, p *Product) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.FindSupplierByID(ctx, p.SupplierID); IsNotFound(err) {
			return FieldError("supplier_id", "no supplier has this id")
		} else if err != nil {
			return err
		}
		if p.ID == "" {
			p.ID = s.newID("prd")
			return tx.CreateProduct(ctx, p)
		}
		return tx.UpdateProduct(ctx, p)
	})
}

// GetDeal returns one deal, for operators.
func (s *Service) GetDeal(ctx context.Context, a Actor, id string) (*Deal, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindDealByID(ctx, id)
}

// SaveDeal creates a deal (empty ID) or updates one, recording its price
// history whenever the price changes.
func (s *Service) SaveDeal(ctx context.Context, a Actor, d *Deal) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	d.SaleStartsAt, d.SaleEndsAt = Truncate(d.SaleStartsAt), Truncate(d.SaleEndsAt)
	return s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		prd, err := tx.FindProductByID(ctx, d.ProductID)
		if IsNotFound(err) {
			return FieldError("product_id", "no product has this id")
		} else if err != nil {
			return err
		}
		if _, err := tx.FindCityByID(ctx, d.CityID); IsNotFound(err) {
			return FieldError("city_id", "no city has this id")
		} else if err != nil {
			return err
		}
		if d.Title == "" {
			d.Title = prd.Name
		}
		priceChanged := true
		d.UpdatedAt = now
		if d.ID == "" {
			d.ID = s.newID("deal")
			d.CreatedAt = now
			d.Reserved = 0
			if err := tx.CreateDeal(ctx, d); err != nil {
				return err
			}
		} else {
			old, err := tx.FindDealByID(ctx, d.ID)
			if err != nil {
				return err
			}
			priceChanged = old.PriceFen != d.PriceFen || old.ListPriceFen != d.ListPriceFen
			d.CreatedAt, d.Reserved = old.CreatedAt, old.Reserved
			if err := tx.UpdateDeal(ctx, d); err != nil {
				return err
			}
		}
		s.soldOut.clear(d.ID) // the stock may have grown
		if !priceChanged {
			return nil
		}
		return tx.AddDealPrice(ctx, &DealPrice{DealID: d.ID, PriceFen: d.PriceFen, ListPriceFen: d.ListPriceFen, EffectiveAt: now})
	})
}

// GetPickupPoint returns one pickup point; anyone may read them.
func (s *Service) GetPickupPoint(ctx context.Context, id string) (*PickupPoint, error) {
	return s.store.FindPickupPointByID(ctx, id)
}

// ListPickupPoints returns the open pickup points, optionally of one city.
func (s *Service) ListPickupPoints(ctx context.Context, cityID string) ([]PickupPoint, error) {
	pps, err := s.store.FindPickupPoints(ctx, PickupPointFilter{CityID: cityID})
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

// SavePickupPoint creates a pickup point (empty ID) or updates one.
func (s *Service) SavePickupPoint(ctx context.Context, a Actor, p *PickupPoint) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.FindCityByID(ctx, p.CityID); IsNotFound(err) {
			return FieldError("city_id", "no city has this id")
		} else if err != nil {
			return err
		}
		if p.RouteID != "" {
			if _, err := tx.FindRouteByID(ctx, p.RouteID); IsNotFound(err) {
				return FieldError("route_id", "no route has this id")
			} else if err != nil {
				return err
			}
		}
		if p.LeaderID != "" {
			u, err := tx.FindUserByID(ctx, p.LeaderID)
			if IsNotFound(err) || (err == nil && u.Role != RoleLeader) {
				return FieldError("leader_id", "no group leader has this id")
			} else if err != nil {
				return err
			}
		}
		if p.ID == "" {
			p.ID = s.newID("pp")
			return tx.CreatePickupPoint(ctx, p)
		}
		if _, err := tx.FindPickupPointByID(ctx, p.ID); err != nil {
			return err
		}
		return tx.UpdatePickupPoint(ctx, p)
	})
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
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleLeader {
		return nil, ErrNotFound
	}
	return u, nil
}

// UpdateLeader changes a group leader's name.
func (s *Service) UpdateLeader(ctx context.Context, a Actor, u *User) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	var err error
	if u.Name, err = checkText("name", u.Name, true, 50); err != nil {
		return err
	}
	if u.Role != RoleLeader {
		return ErrNotFound
	}
	s.sessions.forgetUser(u.ID)
	return s.store.UpdateUser(ctx, u)
}

// LiveDeals returns the deals on sale now in a pickup point's city.
func (s *Service) LiveDeals(ctx context.Context, pickupPointID string) ([]Deal, error) {
	if err := checkID("pickup_point_id", pickupPointID); err != nil {
		return nil, err
	}
	pp, err := s.store.FindPickupPointByID(ctx, pickupPointID)
	if IsNotFound(err) || (err == nil && !pp.Active) {
		return nil, FieldError("pickup_point_id", "no open pickup point has this id")
	}
	if err != nil {
		return nil, err
	}
	return s.store.FindDeals(ctx, DealFilter{CityID: pp.CityID, LiveAt: s.clock.Now()})
}
