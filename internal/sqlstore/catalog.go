package sqlstore

import (
	"context"
	"database/sql"

	"tuango/internal/tuango"
)

// CreateCity inserts a city.
func (s *Store) CreateCity(ctx context.Context, c *tuango.City) error {
	_, err := s.exec(ctx, `INSERT INTO cities (id, name, time_zone, cutoff) VALUES (?, ?, ?, ?)`, c.ID, c.Name, c.TimeZone, c.Cutoff)
	return wrap(err, "create city %s", c.ID)
}

const citySelect = `SELECT id, name, time_zone, cutoff FROM cities`

func scanCity(sc scanner, c *tuango.City) error {
	return sc.Scan(&c.ID, &c.Name, &c.TimeZone, &c.Cutoff)
}

// FindCityByID finds a city.
func (s *Store) FindCityByID(ctx context.Context, id string) (*tuango.City, error) {
	var c tuango.City
	if err := scanCity(s.queryRow(ctx, citySelect+` WHERE id = ?`, id), &c); err != nil {
		return nil, wrap(notFound(err), "find city %s", id)
	}
	return &c, nil
}

// FindCities lists every city.
func (s *Store) FindCities(ctx context.Context) ([]tuango.City, error) {
	return queryAll(s, ctx, scanCity, citySelect+` ORDER BY id`)
}

// CreateWarehouse inserts a warehouse.
func (s *Store) CreateWarehouse(ctx context.Context, w *tuango.Warehouse) error {
	_, err := s.exec(ctx, `INSERT INTO warehouses (id, city_id, kind, name, parent_id) VALUES (?, ?, ?, ?, ?)`,
		w.ID, w.CityID, w.Kind, w.Name, nullable(w.ParentID))
	return wrap(err, "create warehouse %s", w.ID)
}

// FindWarehouses lists a city's warehouses.
func (s *Store) FindWarehouses(ctx context.Context, cityID string) ([]tuango.Warehouse, error) {
	return queryAll(s, ctx, func(sc scanner, w *tuango.Warehouse) error {
		var parent sql.NullString
		err := sc.Scan(&w.ID, &w.CityID, &w.Kind, &w.Name, &parent)
		w.ParentID = parent.String
		return err
	}, `SELECT id, city_id, kind, name, parent_id FROM warehouses WHERE city_id = ? ORDER BY id`, cityID)
}

// CreateRoute inserts a delivery route.
func (s *Store) CreateRoute(ctx context.Context, r *tuango.Route) error {
	_, err := s.exec(ctx, `INSERT INTO routes (id, warehouse_id, name) VALUES (?, ?, ?)`, r.ID, r.WarehouseID, r.Name)
	return wrap(err, "create route %s", r.ID)
}

func scanRoute(sc scanner, r *tuango.Route) error { return sc.Scan(&r.ID, &r.WarehouseID, &r.Name) }

// FindRouteByID finds a route.
func (s *Store) FindRouteByID(ctx context.Context, id string) (*tuango.Route, error) {
	var r tuango.Route
	if err := scanRoute(s.queryRow(ctx, `SELECT id, warehouse_id, name FROM routes WHERE id = ?`, id), &r); err != nil {
		return nil, wrap(notFound(err), "find route %s", id)
	}
	return &r, nil
}

// FindRoutes lists a city's routes.
func (s *Store) FindRoutes(ctx context.Context, cityID string) ([]tuango.Route, error) {
	return queryAll(s, ctx, scanRoute, `SELECT r.id, r.warehouse_id, r.name FROM routes r
		JOIN warehouses w ON w.id = r.warehouse_id WHERE w.city_id = ? ORDER BY r.id`, cityID)
}

const pickupPointSelect = `SELECT id, city_id, route_id, name, address, leader_id, commission_bps, active, stop_seq FROM pickup_points`

func scanPickupPoint(sc scanner, p *tuango.PickupPoint) error {
	var route, leader sql.NullString
	err := sc.Scan(&p.ID, &p.CityID, &route, &p.Name, &p.Address, &leader, &p.CommissionBps, &p.Active, &p.StopSeq)
	p.RouteID, p.LeaderID = route.String, leader.String
	return err
}

// CreatePickupPoint inserts a pickup point.
func (s *Store) CreatePickupPoint(ctx context.Context, p *tuango.PickupPoint) error {
	_, err := s.exec(ctx, `INSERT INTO pickup_points (id, city_id, route_id, name, address, leader_id, commission_bps, active, stop_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CityID, nullable(p.RouteID), p.Name, p.Address, nullable(p.LeaderID), p.CommissionBps, p.Active, p.StopSeq)
	return wrap(err, "create pickup point %s", p.ID)
}

// UpdatePickupPoint changes a pickup point.
func (s *Store) UpdatePickupPoint(ctx context.Context, p *tuango.PickupPoint) error {
	ok, err := s.execOne(ctx, `UPDATE pickup_points SET city_id = ?, route_id = ?, name = ?, address = ?, leader_id = ?, commission_bps = ?, active = ?, stop_seq = ?
		WHERE id = ?`, p.CityID, nullable(p.RouteID), p.Name, p.Address, nullable(p.LeaderID), p.CommissionBps, p.Active, p.StopSeq, p.ID)
	return wrap(mustChange(ok, err), "update pickup point %s", p.ID)
}

// FindPickupPointByID finds a pickup point.
func (s *Store) FindPickupPointByID(ctx context.Context, id string) (*tuango.PickupPoint, error) {
	var p tuango.PickupPoint
	if err := scanPickupPoint(s.queryRow(ctx, pickupPointSelect+` WHERE id = ?`, id), &p); err != nil {
		return nil, wrap(notFound(err), "find pickup point %s", id)
	}
	return &p, nil
}

// FindPickupPoints lists pickup points.
func (s *Store) FindPickupPoints(ctx context.Context, f tuango.PickupPointFilter) ([]tuango.PickupPoint, error) {
	var where []string
	var args []any
	if f.CityID != "" {
		where, args = append(where, "city_id = ?"), append(args, f.CityID)
	}
	if f.LeaderID != "" {
		where, args = append(where, "leader_id = ?"), append(args, f.LeaderID)
	}
	if f.IDs != nil {
		return queryByIDs(s, ctx, scanPickupPoint, pickupPointSelect, where, args, f.IDs)
	}
	return queryAll(s, ctx, scanPickupPoint, pickupPointSelect+whereClause(where)+` ORDER BY id`, args...)
}

// CreateSupplier inserts a supplier.
func (s *Store) CreateSupplier(ctx context.Context, sup *tuango.Supplier) error {
	_, err := s.exec(ctx, `INSERT INTO suppliers (id, name, contact) VALUES (?, ?, ?)`, sup.ID, sup.Name, sup.Contact)
	return wrap(err, "create supplier %s", sup.ID)
}

// UpdateSupplier changes a supplier.
func (s *Store) UpdateSupplier(ctx context.Context, sup *tuango.Supplier) error {
	ok, err := s.execOne(ctx, `UPDATE suppliers SET name = ?, contact = ? WHERE id = ?`, sup.Name, sup.Contact, sup.ID)
	return wrap(mustChange(ok, err), "update supplier %s", sup.ID)
}

func scanSupplier(sc scanner, s *tuango.Supplier) error { return sc.Scan(&s.ID, &s.Name, &s.Contact) }

// FindSupplierByID finds a supplier.
func (s *Store) FindSupplierByID(ctx context.Context, id string) (*tuango.Supplier, error) {
	var sup tuango.Supplier
	if err := scanSupplier(s.queryRow(ctx, `SELECT id, name, contact FROM suppliers WHERE id = ?`, id), &sup); err != nil {
		return nil, wrap(notFound(err), "find supplier %s", id)
	}
	return &sup, nil
}

// FindSuppliers lists every supplier.
func (s *Store) FindSuppliers(ctx context.Context) ([]tuango.Supplier, error) {
	return queryAll(s, ctx, scanSupplier, `SELECT id, name, contact FROM suppliers ORDER BY id`)
}

const productSelect = `SELECT id, supplier_id, name, category, unit, cost_fen FROM products`

func scanProduct(sc scanner, p *tuango.Product) error {
	return sc.Scan(&p.ID, &p.SupplierID, &p.Name, &p.Category, &p.Unit, &p.CostFen)
}

// CreateProduct inserts a product.
func (s *Store) CreateProduct(ctx context.Context, p *tuango.Product) error {
	_, err := s.exec(ctx, `INSERT INTO products (id, supplier_id, name, category, unit, cost_fen) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ID, p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen)
	return wrap(err, "create product %s", p.ID)
}

// UpdateProduct changes a product.
func (s *Store) UpdateProduct(ctx context.Context, p *tuango.Product) error {
	ok, err := s.execOne(ctx, `UPDATE products SET supplier_id = ?, name = ?, category = ?, unit = ?, cost_fen = ? WHERE id = ?`,
		p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen, p.ID)
	return wrap(mustChange(ok, err), "update product %s", p.ID)
}

// FindProductByID finds a product.
func (s *Store) FindProductByID(ctx context.Context, id string) (*tuango.Product, error) {
	var p tuango.Product
	if err := scanProduct(s.queryRow(ctx, productSelect+` WHERE id = ?`, id), &p); err != nil {
		return nil, wrap(notFound(err), "find product %s", id)
	}
	return &p, nil
}

// FindProducts lists products, of one supplier if supplierID is set.
func (s *Store) FindProducts(ctx context.Context, supplierID string) ([]tuango.Product, error) {
	if supplierID == "" {
		return queryAll(s, ctx, scanProduct, productSelect+` ORDER BY id`)
	}
	return queryAll(s, ctx, scanProduct, productSelect+` WHERE supplier_id = ? ORDER BY id`, supplierID)
}
