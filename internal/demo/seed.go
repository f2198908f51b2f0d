// Package demo fills a store with a city's worth of realistic demo data —
// warehouses, routes, pickup points and their leaders, suppliers, products,
// the day's deals and five hundred customers — deterministically from a seed.
package demo

import (
	"context"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"tuango/internal/tuango"
)

// The demo city and accounts.
const (
	CityName      = "长沙"
	Password      = "tuango-demo"
	OperatorPhone = "13900000001"
	OperatorName  = "演示运营"
	NumCustomers  = 500
	// Leaders' phones run from 13900002001, customers' from 13900001001.
	firstLeaderPhone   = 13900002001
	firstCustomerPhone = 13900001001
)

// catalogStream tells the rand stream of the catalog apart from that of
// each day's deals, so that a later day's deal ids never repeat earlier ones.
const catalogStream = 0x7475616e676f // "tuango"

// Summary says what Seed created and how to log in to it.
type Summary struct {
	CityID       string
	Warehouses   int
	Routes       int
	PickupPoints int
	Suppliers    int
	Products     int
	Deals        int
	FlashDeals   int
	Customers    int
	SaleEndsAt   time.Time // the deals' cutoff, UTC
	DeliveryDate string    // YYYY-MM-DD, local to the city

	SecondCityID       string // 武汉, with its own network and deals; the counts above are 长沙's
	SecondCityPoints   int
	SecondCityDeals    int
	FirstSupplierPhone string
	LastSupplierPhone  string

	OperatorPhone      string
	FirstLeaderPhone   string
	FirstCustomerPhone string
	LastCustomerPhone  string
	Password           string // every demo account's password
}

// Seed creates the demo city and everything in it, in one transaction, the
// same data (ids included) for the same seed and now. It fails with code
// conflict if the store already holds the demo city.
func Seed(ctx context.Context, store tuango.Store, hasher tuango.PasswordHasher, now time.Time, seed int64) (*Summary, error) {
	// One hash serves every account: argon2id costs a fifth of a second.
	hash, err := hasher.Hash(Password)
	if err != nil {
		return nil, fmt.Errorf("demo: hash the demo password: %w", err)
	}
	now = tuango.Truncate(now)
	g := newGen(seed, catalogStream)
	sum := &Summary{
		OperatorPhone:      OperatorPhone,
		FirstLeaderPhone:   strconv.Itoa(firstLeaderPhone),
		FirstCustomerPhone: strconv.Itoa(firstCustomerPhone),
		LastCustomerPhone:  strconv.Itoa(firstCustomerPhone + NumCustomers - 1),
		Password:           Password,
	}
	err = store.InTx(ctx, func(tx tuango.Store) error {
		if _, err := findCity(ctx, tx); err == nil {
			return tuango.Errorf(tuango.CodeConflict, "the store already holds the demo city %s", CityName)
		} else if !tuango.IsNotFound(err) {
			return err
		}
		city := &tuango.City{ID: g.id("cty"), Name: CityName, TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
		if err := tx.CreateCity(ctx, city); err != nil {
			return err
		}
		sum.CityID = city.ID
		pps, err := g.network(ctx, tx, city, now, hash, sum)
		if err != nil {
			return err
		}
		if err := g.people(ctx, tx, pps, now, hash, sum); err != nil {
			return err
		}
		products, err := g.catalog(ctx, tx, sum)
		if err != nil {
			return err
		}
		b, err := createDeals(ctx, tx, city, products, now, seed)
		sum.Deals, sum.FlashDeals, sum.SaleEndsAt, sum.DeliveryDate = b.deals, b.flash, b.endsAt, b.deliveryDate
		if err != nil {
			return err
		}
		return secondCity(ctx, tx, products, now, hash, seed, sum)
	})
	if err != nil {
		return nil, fmt.Errorf("demo: seed: %w", err)
	}
	return sum, nil
}

// Seeded reports whether the store holds the demo city.
func Seeded(ctx context.Context, store tuango.Store) (bool, error) {
	_, err := findCity(ctx, store)
	if tuango.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func findCity(ctx context.Context, store tuango.Store) (*tuango.City, error) {
	cities, err := store.FindCities(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: find the demo city: %w", err)
	}
	for i := range cities {
		if cities[i].Name == CityName {
			return &cities[i], nil
		}
	}
	return nil, tuango.Errorf(tuango.CodeNotFound, "no demo city %s", CityName)
}

// network creates the warehouses, routes, pickup points and their leaders.
func (g *gen) network(ctx context.Context, tx tuango.Store, city *tuango.City, now time.Time, hash string, sum *Summary) ([]tuango.PickupPoint, error) {
	central := &tuango.Warehouse{ID: g.id("wh"), CityID: city.ID, Kind: tuango.WarehouseCentral, Name: "长沙中心仓（长沙县星沙）"}
	if err := tx.CreateWarehouse(ctx, central); err != nil {
		return nil, err
	}
	sum.Warehouses++
	var pps []tuango.PickupPoint
	for _, gr := range grids {
		wh := &tuango.Warehouse{ID: g.id("wh"), CityID: city.ID, Kind: tuango.WarehouseGrid, Name: gr.name, ParentID: central.ID}
		if err := tx.CreateWarehouse(ctx, wh); err != nil {
			return nil, err
		}
		sum.Warehouses++
		for _, d := range gr.districts {
			rt := &tuango.Route{ID: g.id("rt"), WarehouseID: wh.ID, Name: string([]rune(d.name)[:2]) + "线"}
			if err := tx.CreateRoute(ctx, rt); err != nil {
				return nil, err
			}
			sum.Routes++
			for stop, community := range d.communities {
				surname, given, female := g.person()
				call := g.pick(callMale)
				if female {
					call = g.pick(callFemale)
				}
				pp := tuango.PickupPoint{
					ID:            g.id("pp"),
					CityID:        city.ID,
					RouteID:       rt.ID,
					Name:          community + "·" + surname + call + g.pick(shopKinds),
					Address:       fmt.Sprintf("长沙市%s%s%d号（%s%s）", d.name, g.pick(d.roads), 1+g.r.IntN(600), community, g.pick(gates)),
					CommissionBps: 500 + 50*g.r.IntN(15), // 5% to 12%
					Active:        true,
					StopSeq:       stop + 1,
				}
				leader := &tuango.User{
					ID:                g.id("usr"),
					Phone:             strconv.Itoa(firstLeaderPhone + len(pps)),
					Name:              surname + given,
					Role:              tuango.RoleLeader,
					PasswordHash:      hash,
					HomePickupPointID: pp.ID,
					CreatedAt:         g.before(now, 720),
				}
				pp.LeaderID = leader.ID
				if err := pp.Validate(); err != nil {
					return nil, err
				}
				if err := tx.CreateUser(ctx, leader); err != nil {
					return nil, err
				}
				if err := tx.CreatePickupPoint(ctx, &pp); err != nil {
					return nil, err
				}
				pps = append(pps, pp)
			}
		}
	}
	sum.PickupPoints = len(pps)
	return pps, nil
}

var mobilePrefixes = []string{"135", "136", "137", "138", "139", "150", "151", "158", "159", "173", "177", "186", "187", "188", "189", "199"}

var gates = []string{"东门", "南门", "西门", "北门", "正门旁", "1栋底商", "3栋门面"}

// people creates the customers, each with a home pickup point, and the operator.
func (g *gen) people(ctx context.Context, tx tuango.Store, pps []tuango.PickupPoint, now time.Time, hash string, sum *Summary) error {
	for i := range NumCustomers {
		surname, given, _ := g.person()
		u := &tuango.User{
			ID:                g.id("usr"),
			Phone:             strconv.Itoa(firstCustomerPhone + i),
			Name:              surname + given,
			Role:              tuango.RoleCustomer,
			PasswordHash:      hash,
			HomePickupPointID: pps[g.r.IntN(len(pps))].ID,
			CreatedAt:         g.before(now, 365),
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		sum.Customers++
	}
	op := &tuango.User{ID: g.id("usr"), Phone: OperatorPhone, Name: OperatorName, Role: tuango.RoleOperator,
		PasswordHash: hash, CreatedAt: g.before(now, 720), TOTPSecret: OperatorTOTPSecret}
	return tx.CreateUser(ctx, op)
}

// catalog creates the suppliers and their products.
func (g *gen) catalog(ctx context.Context, tx tuango.Store, sum *Summary) ([]tuango.Product, error) {
	var products []tuango.Product
	for _, c := range categories {
		var supIDs [2]string
		for i, name := range c.suppliers {
			surname, _, _ := g.person()
			s := &tuango.Supplier{ID: g.id("sup"), Name: name,
				Contact: fmt.Sprintf("%s经理 %s%08d", surname, g.pick(mobilePrefixes), g.r.IntN(100_000_000))}
			if err := tx.CreateSupplier(ctx, s); err != nil {
				return nil, err
			}
			supIDs[i] = s.ID
			sum.Suppliers++
		}
		for _, it := range c.items {
			// Costs move a little from seed to seed, in whole jiao.
			cost := max(10, (it.cost*tuango.Fen(90+g.r.IntN(21))/100+5)/10*10)
			p := tuango.Product{ID: g.id("prd"), SupplierID: supIDs[g.r.IntN(2)], Name: it.name, Category: c.name, Unit: it.unit, CostFen: cost}
			if err := p.Validate(); err != nil {
				return nil, err
			}
			if err := tx.CreateProduct(ctx, &p); err != nil {
				return nil, err
			}
			products = append(products, p)
		}
	}
	sum.Products = len(products)
	return products, nil
}

// gen makes the demo's random choices and ids from one seeded stream.
type gen struct{ r *rand.Rand }

func newGen(seed int64, stream uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(uint64(seed), stream))}
}

// idEncoding is the alphabet of tuango.RandomID, so demo ids look real.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// id returns prefix, "_" and 80 bits from the stream, like tuango.RandomID.
func (g *gen) id(prefix string) string {
	var b [10]byte
	a, c := g.r.Uint64(), g.r.Uint64()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
	}
	b[8], b[9] = byte(c), byte(c>>8)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// person returns a Chinese surname and given name, and whether she is a woman.
func (g *gen) person() (surname, given string, female bool) {
	female = g.r.IntN(5) < 3 // most group leaders and shoppers are women
	if female {
		return g.pick(surnames), g.pick(givenFemale), true
	}
	return g.pick(surnames), g.pick(givenMale), false
}

// before returns a time up to days before now, in whole seconds.
func (g *gen) before(now time.Time, days int) time.Time {
	return now.Add(-time.Duration(1+g.r.IntN(days*24*3600)) * time.Second)
}
