package web

import "net/http"

// pageRoutes lists the HTML pages beyond the few that routes() names
// itself. They are served through routes()' catch-all, so that the list of
// API routes (and the OpenAPI check over it) stays the API's.
func (s *Server) pageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
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
		h("GET", "/leader", s.comingPage("Group leader")),
		h("GET", "/supplier", s.comingPage("Supplier")),
		h("GET", "/admin", s.handleAdminDealsPage),
		h("GET", "/admin/pickup-points", s.handleAdminPickupPointsPage),
		h("POST", "/admin/pickup-points/{id}", s.handleAdminPickupPointForm),
		h("GET", "/admin/suppliers", s.handleAdminSuppliersPage),
		h("GET", "/admin/deals/new", s.handleAdminDealPage),
		h("GET", "/admin/deals/{id}", s.handleAdminDealPage),
		h("POST", "/admin/deals", s.handleAdminDealForm),
		h("POST", "/admin/deals/{id}", s.handleAdminDealForm),
	}
}

// PageRoutes lists the HTML pages served through the catch-all route.
func (s *Server) PageRoutes() []Route { return s.pageRoutes() }

// handlePages serves the pages of pageRoutes, and answers 404 or 405 for
// anything else.
func (s *Server) handlePages(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.pageMux.Handler(r); pattern != "" {
		s.pageMux.ServeHTTP(w, r)
		return
	}
	s.handleNotFound(w, r)
}

// handleNoFavicon answers browsers' favicon request with nothing, cached,
// rather than with a page.
func handleNoFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=604800")
	w.WriteHeader(http.StatusNoContent)
}
