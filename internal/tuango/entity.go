package tuango

// Entity names a kind of row a transaction may lock before it reads and changes it.
type Entity string

// The kinds of row Store.Lock locks.
const (
	EntityDeal        Entity = "deal"
	EntitySupplier    Entity = "supplier"
	EntityProduct     Entity = "product"
	EntityPickupPoint Entity = "pickup_point"
	EntityUser        Entity = "user"
	// EntityCity is a city, locked before anything else by a cutoff's
	// start and by a deal's save, so that no deal goes on sale for a date
	// whose cutoff has begun.
	EntityCity Entity = "city"
	// EntityCustomerCoupon is a customer's coupon, locked after the deals
	// by the placements that use it.
	EntityCustomerCoupon Entity = "customer_coupon"
)
