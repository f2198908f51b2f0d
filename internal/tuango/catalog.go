package tuango

import (
	"regexp"
	"time"
)

// City is where a group of pickup points shares warehouses and a cutoff.
type City struct {
	ID       string
	Name     string
	TimeZone string // IANA name, such as Asia/Shanghai
	Cutoff   string // local time of day, "23:00"
}

// Warehouse kinds.
const (
	WarehouseCentral = "central"
	WarehouseGrid    = "grid"
)

// Warehouse is a central warehouse (中心仓) or a grid warehouse (网格仓).
type Warehouse struct {
	ID       string
	CityID   string
	Kind     string
	Name     string
	ParentID string // a grid warehouse's central warehouse
}

// Route is a delivery route from a grid warehouse to its pickup points.
type Route struct {
	ID          string
	WarehouseID string
	Name        string
}

// PickupPoint is a shop where customers collect their orders (自提点),
// run by a group leader who earns commission on what is collected there.
type PickupPoint struct {
	ID            string
	CityID        string
	RouteID       string
	Name          string
	Address       string
	LeaderID      string // a user with role leader
	CommissionBps int    // commission in basis points of the paid amount
	Active        bool
	StopSeq       int // where the point stops on its route, from 1; 0 when unset
}

// Validate checks a pickup point's fields.
func (p *PickupPoint) Validate() error {
	var err error
	if p.Name, err = checkText("name", p.Name, true, 100); err != nil {
		return err
	}
	if p.Address, err = checkText("address", p.Address, true, 200); err != nil {
		return err
	}
	if err := checkID("city_id", p.CityID); err != nil {
		return err
	}
	if p.RouteID != "" {
		if err := checkID("route_id", p.RouteID); err != nil {
			return err
		}
	}
	if p.LeaderID != "" {
		if err := checkID("leader_id", p.LeaderID); err != nil {
			return err
		}
	}
	if p.StopSeq < 0 || p.StopSeq > 10_000 {
		return FieldError("stop_seq", "must be between 0 and 10000")
	}
	if p.CommissionBps < 0 || p.CommissionBps > 3000 {
		return FieldError("commission_bps", "must be between 0 and 3000 (30%%)")
	}
	return nil
}

// Supplier sells products to the platform.
type Supplier struct {
	ID      string
	Name    string
	Contact string
}

// Validate checks a supplier's fields.
func (s *Supplier) Validate() error {
	var err error
	if s.Name, err = checkText("name", s.Name, true, 100); err != nil {
		return err
	}
	s.Contact, err = checkText("contact", s.Contact, false, 100)
	return err
}

// Product is a thing a supplier sells, at a cost to the platform.
type Product struct {
	ID         string
	SupplierID string
	Name       string
	Category   string
	Unit       string // such as 500g, 箱, 个
	CostFen    Fen
}

// Validate checks a product's fields.
func (p *Product) Validate() error {
	var err error
	if err = checkID("supplier_id", p.SupplierID); err != nil {
		return err
	}
	if p.Name, err = checkText("name", p.Name, true, 100); err != nil {
		return err
	}
	if p.Category, err = checkText("category", p.Category, true, 50); err != nil {
		return err
	}
	if p.Unit, err = checkText("unit", p.Unit, true, 20); err != nil {
		return err
	}
	return checkFen("cost_fen", p.CostFen, true)
}

// MaxStock bounds a deal's stock and MaxQuantity one order line's quantity.
const (
	MaxStock    = 10_000_000
	MaxQuantity = 999
)

// Deal is a product offered in a city at a price, with limited stock, for a
// sale window, delivered on a date. Reserved counts the units held by live
// orders (pending payment or paid); Stock - Reserved remain.
type Deal struct {
	ID               string
	ProductID        string
	CityID           string
	Title            string
	PriceFen         Fen
	ListPriceFen     Fen
	Stock            int
	Reserved         int
	LimitPerCustomer int
	SaleStartsAt     time.Time
	SaleEndsAt       time.Time
	DeliveryDate     string // YYYY-MM-DD in the city's time zone
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Flash marks a flash deal (秒杀): an order with a line of it stays
	// unpaid for at most Config.FlashOrderTimeout.
	Flash bool
}

// Remaining is the stock that can still be ordered.
func (d *Deal) Remaining() int { return d.Stock - d.Reserved }

// LiveAt reports whether the deal is on sale at t.
func (d *Deal) LiveAt(t time.Time) bool {
	return !t.Before(d.SaleStartsAt) && t.Before(d.SaleEndsAt)
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Validate checks a deal's fields.
func (d *Deal) Validate() error {
	var err error
	if err = checkID("product_id", d.ProductID); err != nil {
		return err
	}
	if err = checkID("city_id", d.CityID); err != nil {
		return err
	}
	if d.Title, err = checkText("title", d.Title, false, 100); err != nil {
		return err
	}
	if err = checkFen("price_fen", d.PriceFen, false); err != nil {
		return err
	}
	if err = checkFen("list_price_fen", d.ListPriceFen, false); err != nil {
		return err
	}
	if d.ListPriceFen < d.PriceFen {
		return FieldError("list_price_fen", "must be at least price_fen (%d)", d.PriceFen)
	}
	if d.Stock < 0 || d.Stock > MaxStock {
		return FieldError("stock", "must be between 0 and %d", MaxStock)
	}
	if d.Stock < d.Reserved {
		return FieldError("stock", "must be at least the %d units already ordered", d.Reserved)
	}
	if d.LimitPerCustomer < 1 || d.LimitPerCustomer > MaxQuantity {
		return FieldError("limit_per_customer", "must be between 1 and %d", MaxQuantity)
	}
	if d.SaleStartsAt.IsZero() {
		return FieldError("sale_starts_at", "is required")
	}
	if d.SaleEndsAt.IsZero() {
		return FieldError("sale_ends_at", "is required")
	}
	if !d.SaleEndsAt.After(d.SaleStartsAt) {
		return FieldError("sale_ends_at", "must be after sale_starts_at")
	}
	if d.SaleEndsAt.Sub(d.SaleStartsAt) > 366*24*time.Hour {
		return FieldError("sale_ends_at", "is more than a year after sale_starts_at")
	}
	if !dateRE.MatchString(d.DeliveryDate) {
		return FieldError("delivery_date", "must be a date written YYYY-MM-DD")
	}
	day, err := time.Parse(time.DateOnly, d.DeliveryDate)
	if err != nil {
		return FieldError("delivery_date", "is not a real date")
	}
	// Compared in UTC with a day's slack: the date is local to the city.
	if day.Before(d.SaleEndsAt.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)) {
		return FieldError("delivery_date", "must not be before the sale ends")
	}
	if day.After(d.SaleEndsAt.AddDate(0, 0, 60)) {
		return FieldError("delivery_date", "is more than 60 days after the sale ends")
	}
	return nil
}

// DealPrice is one entry of a deal's price history, kept so that a "was"
// price can be proven.
type DealPrice struct {
	DealID       string
	PriceFen     Fen
	ListPriceFen Fen
	EffectiveAt  time.Time
}

// DealFilter selects deals.
type DealFilter struct {
	IDs          []string // when set, only these deals
	CityID       string
	DeliveryDate string    // when set, only deals delivered on this date
	LiveAt       time.Time // when set, only deals on sale at this time
	Limit        int
}

// PickupPointFilter selects pickup points.
type PickupPointFilter struct {
	IDs      []string // when set, only these pickup points
	CityID   string
	LeaderID string
}
