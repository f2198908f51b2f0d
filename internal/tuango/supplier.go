package tuango

import "context"

// SupplierProducts returns the products of the caller's supplier, by
// name: a supplier account sees its own products and no other supplier's
// (the operator edits them; the supplier reads them).
func (s *Service) SupplierProducts(ctx context.Context, a Actor) ([]Product, error) {
	if a.Role != RoleSupplier {
		return nil, Errorf(CodeForbidden, "this needs a supplier account")
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if u.SupplierID == "" { // an account bound to no supplier has no products, rather than everyone's
		return []Product{}, nil
	}
	ps, err := s.store.FindProducts(ctx, u.SupplierID)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p.SupplierID == u.SupplierID {
			out = append(out, p)
		}
	}
	return out, nil
}
