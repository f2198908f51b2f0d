package web

import (
	"net/http"
	"slices"
)

// pageRoutes lists the HTML pages.
func (s *Server) pageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return append([]Route{
		h("GET", "/{$}", s.handleHome),
		h("GET", "/login", s.handleLoginPage),
		h("POST", "/login", s.handleLoginForm),
		h("POST", "/login/code", s.handleLoginCodeForm),
		h("GET", "/sandbox/pay/{id}", s.sandboxOnly(s.handleSandboxPage)),
		h("POST", "/sandbox/pay/{id}", s.sandboxOnly(s.handleSandboxPageConfirm)),
		h("GET", "/static/", s.handleStatic().ServeHTTP),
		h("GET", "/favicon.ico", handleNoFavicon),
		h("POST", "/logout", s.handleLogoutForm),
		h("POST", "/pickup-point", s.handleChoosePickupPoint),
		h("GET", "/deals/{id}", s.handleDealPage),
		h("GET", "/cart", s.handleCartPage),
		h("POST", "/cart", s.handleCartUpdate),
		h("GET", "/checkout", s.handleCheckoutPage),
		h("POST", "/checkout", s.handleCheckout),
		h("GET", "/orders", s.handleOrdersPage),
		h("GET", "/orders/{id}", s.handleOrderPage),
		h("POST", "/orders/{id}/cancel", s.handleCancelOrderForm),
		h("POST", "/orders/{id}/pay", s.handlePayOrderForm),
		h("GET", "/admin", s.handleAdminDealsPage),
		h("GET", "/admin/pickup-points", s.handleAdminPickupPointsPage),
		h("POST", "/admin/pickup-points/{id}/open", s.handleAdminPickupPointOpen),
		h("GET", "/admin/leaders", s.handleAdminLeadersPage),
		h("POST", "/admin/leaders", s.onceForm(s.handleAdminLeaderForm)),
		h("GET", "/admin/leaders/{id}", s.handleAdminLeaderPage),
		h("POST", "/admin/leaders/{id}", s.handleAdminLeaderRename),
		h("GET", "/admin/pickup-points/new", s.handleAdminPickupPointPage),
		h("GET", "/admin/pickup-points/{id}", s.handleAdminPickupPointPage),
		h("POST", "/admin/pickup-points", s.onceForm(s.handleAdminPickupPointForm)),
		h("POST", "/admin/pickup-points/{id}", s.handleAdminPickupPointForm),
		h("GET", "/admin/suppliers", s.handleAdminSuppliersPage),
		h("GET", "/admin/suppliers/new", s.handleAdminSupplierPage),
		h("GET", "/admin/suppliers/{id}", s.handleAdminSupplierPage),
		h("POST", "/admin/suppliers", s.onceForm(s.handleAdminSupplierForm)),
		h("POST", "/admin/suppliers/{id}", s.handleAdminSupplierForm),
		h("GET", "/admin/products/new", s.handleAdminProductPage),
		h("GET", "/admin/products/{id}", s.handleAdminProductPage),
		h("POST", "/admin/products", s.onceForm(s.handleAdminProductForm)),
		h("POST", "/admin/products/{id}", s.handleAdminProductForm),
		h("GET", "/admin/deals/new", s.handleAdminDealPage),
		h("GET", "/admin/deals/{id}", s.handleAdminDealPage),
		h("POST", "/admin/deals", s.onceForm(s.handleAdminDealForm)),
		h("POST", "/admin/deals/{id}", s.handleAdminDealForm),
	}, slices.Concat(s.dayPageRoutes(), s.couponPageRoutes(), s.closurePageRoutes(), s.afterSalesPageRoutes(), s.payoutPageRoutes(), s.statusPageRoutes(), s.tellPageRoutes(), s.accountPageRoutes(), s.auditPageRoutes(), s.securityPageRoutes())...)
}

// closurePageRoutes are the operator's pages for a closed pickup point,
// and the supplier's products.
func (s *Server) closurePageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/admin/pickup-points/{id}/closure", s.handleAdminClosurePage),
		h("POST", "/admin/pickup-points/{id}/closures", s.onceForm(s.handleAdminPointClosureForm)),
		h("POST", "/admin/pickup-points/{id}/move-orders", s.onceForm(s.handleAdminMoveOrdersForm)),
		h("POST", "/admin/pickup-points/{id}/cancel-orders", s.onceForm(s.handleAdminCancelOrdersForm)),
		h("GET", "/supplier/products", s.handleSupplierProductsPage),
	}
}

// handleNoFavicon answers browsers' favicon request with nothing, cached,
// rather than with a page.
func handleNoFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=604800")
	w.WriteHeader(http.StatusNoContent)
}

// dayPageRoutes are the pages of the day after the order: the leader's,
// the supplier's and the operator's day.
func (s *Server) dayPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/leader", s.handleLeaderPage),
		h("POST", "/leader/deliveries/{date}/sign", s.handleLeaderSignForm),
		h("POST", "/leader/pickups", s.handleLeaderPickupForm),
		h("POST", "/leader/closures", s.handleLeaderCloseForm),
		h("GET", "/leader/pick-list", s.handleLeaderPickList),
		h("GET", "/orders/{id}/pickup-code.png", s.handlePickupCodePage),
		h("GET", "/notifications", s.handleNotificationsPage),
		h("GET", "/supplier", s.handleSupplierPage),
		h("GET", "/supplier/purchase-orders", s.handleSupplierExport),
		h("GET", "/admin/day", s.handleAdminDayPage),
		h("POST", "/admin/cities/{id}/closures", s.onceForm(s.handleAdminCloseCityForm)),
		h("POST", "/admin/cutoffs", s.handleAdminCutoffForm),
		h("POST", "/admin/routes/{id}/dispatch", s.onceForm(s.handleAdminDispatchForm)),
		h("GET", "/admin/lists/{kind}", s.handleAdminListExport),
		h("GET", "/admin/ledger", s.handleAdminLedgerPage),
		h("GET", "/supplier/statement", s.handleSupplierStatementPage),
		h("GET", "/leader/statement", s.handleLeaderStatementPage),
	}
}
