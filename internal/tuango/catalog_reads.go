package tuango

import "context"

// CatalogReader is the part of the store the storefront reads to show the
// day's deals: cities, pickup points, deals and their price history. It
// has no method that writes, so that a reader served by a standby (see
// SetReplica) cannot be asked to.
type CatalogReader interface {
	FindCityByID(ctx context.Context, id string) (*City, error)
	FindPickupPointByID(ctx context.Context, id string) (*PickupPoint, error)
	FindPickupPoints(ctx context.Context, f PickupPointFilter) ([]PickupPoint, error)
	FindDeals(ctx context.Context, f DealFilter) ([]Deal, error)
	FindDealPrices(ctx context.Context, dealID string) ([]DealPrice, error)
}

// SetReplica makes the service read the catalog from r — a pool on a
// standby — so that the deal list, the pickup points and the storefront
// keep answering while the primary is away, and so that those reads leave
// the primary alone. What a standby serves may trail the primary by the
// replication delay; ordering decides on the primary, under its locks,
// whatever the list showed. Call it before serving.
func (s *Service) SetReplica(r CatalogReader) { s.replica = r }

// Catalog returns where the catalog is read from: the replica when one is
// set, falling back to the primary for a read the replica fails (a standby
// that is down, or not yet given a row just written); else the store.
func (s *Service) Catalog() CatalogReader {
	if s.replica == nil {
		return s.store
	}
	return catalogReads{replica: s.replica, primary: s.store}
}

// catalogReads reads from the replica, then from the primary if the
// replica fails.
type catalogReads struct{ replica, primary CatalogReader }

func fallBack[T any](ctx context.Context, replica, primary func() (T, error)) (T, error) {
	v, err := replica()
	if err == nil || ctx.Err() != nil {
		return v, err
	}
	return primary()
}

func (c catalogReads) FindCityByID(ctx context.Context, id string) (*City, error) {
	return fallBack(ctx, func() (*City, error) { return c.replica.FindCityByID(ctx, id) },
		func() (*City, error) { return c.primary.FindCityByID(ctx, id) })
}

func (c catalogReads) FindPickupPointByID(ctx context.Context, id string) (*PickupPoint, error) {
	return fallBack(ctx, func() (*PickupPoint, error) { return c.replica.FindPickupPointByID(ctx, id) },
		func() (*PickupPoint, error) { return c.primary.FindPickupPointByID(ctx, id) })
}

func (c catalogReads) FindPickupPoints(ctx context.Context, f PickupPointFilter) ([]PickupPoint, error) {
	return fallBack(ctx, func() ([]PickupPoint, error) { return c.replica.FindPickupPoints(ctx, f) },
		func() ([]PickupPoint, error) { return c.primary.FindPickupPoints(ctx, f) })
}

func (c catalogReads) FindDeals(ctx context.Context, f DealFilter) ([]Deal, error) {
	return fallBack(ctx, func() ([]Deal, error) { return c.replica.FindDeals(ctx, f) },
		func() ([]Deal, error) { return c.primary.FindDeals(ctx, f) })
}

func (c catalogReads) FindDealPrices(ctx context.Context, dealID string) ([]DealPrice, error) {
	return fallBack(ctx, func() ([]DealPrice, error) { return c.replica.FindDealPrices(ctx, dealID) },
		func() ([]DealPrice, error) { return c.primary.FindDealPrices(ctx, dealID) })
}
