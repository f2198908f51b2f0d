package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// Route is one URL tuango serves.
type Route struct {
	Method  string
	Pattern string
	Handler http.Handler
}

// Routes lists every URL the server serves: the API and operations, the
// pages, and the catch-all. The access test expects an answer per role for
// each.
func (s *Server) Routes() []Route { return s.routes() }

func (s *Server) routes() []Route {
	rs := append(s.apiRoutes(), s.pageRoutes()...)
	return append(rs, Route{Pattern: "/", Handler: http.HandlerFunc(s.handleNotFound)})
}

// apiRoutes are the JSON API and the operations endpoints: the routes
// openapi.json describes, every one.
func (s *Server) apiRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/healthz", s.handleHealthz),
		h("GET", "/readyz", s.handleReadyz),
		h("GET", "/api/v1/openapi.json", s.handleOpenAPI),
		h("GET", "/metrics", s.handleMetrics),

		h("POST", "/api/v1/auth/register", s.handleRegister),
		h("POST", "/api/v1/auth/login", s.handleLogin),
		h("POST", "/api/v1/auth/codes", s.handleAuthCode),
		h("POST", "/api/v1/auth/logout", s.enrolling(s.handleLogout)),
		h("GET", "/api/v1/me", s.enrolling(s.handleMe)),
		h("PUT", "/api/v1/me/pickup-point", s.authed(s.handleSetPickupPoint)),
		h("GET", "/api/v1/me/notifications", s.authed(s.handleNotifications)),

		h("GET", "/api/v1/pickup-points", s.handlePickupPoints),
		h("GET", "/api/v1/pickup-points/{id}", s.handlePickupPoint),
		h("GET", "/api/v1/deals", s.handleDeals),

		h("POST", "/api/v1/orders", s.bounded(s.authed(s.handlePlaceOrder))),
		h("GET", "/api/v1/orders", s.authed(s.handleOrders)),
		h("GET", "/api/v1/orders/{id}", s.authed(s.handleOrder)),
		h("GET", "/api/v1/orders/{id}/pickup-code.png", s.authed(s.handlePickupCodePNG)),
		h("POST", "/api/v1/orders/{id}/cancel", s.bounded(s.authed(s.onceIfKeyed(s.handleCancelOrder)))),
		h("POST", "/api/v1/orders/{id}/payments", s.bounded(s.authed(s.handleCreatePayment))),
		h("GET", "/api/v1/payments/{id}", s.authed(s.handlePayment)),
		h("POST", "/api/v1/payments/notify/sandbox", s.handleSandboxNotify),

		h("POST", "/api/v1/sandbox/payments/{id}/confirm", s.authed(s.sandboxAPI(s.handleSandboxConfirm))),
		h("GET", "/api/v1/sandbox/faults", s.authed(s.sandboxAPI(s.handleGetFaults))),
		h("PUT", "/api/v1/sandbox/faults", s.authed(s.sandboxAPI(s.handleSetFaults))),

		h("GET", "/api/v1/admin/cities", s.authed(s.handleAdminCities)),
		h("GET", "/api/v1/admin/suppliers", s.authed(s.handleAdminSuppliers)),
		h("POST", "/api/v1/admin/suppliers", s.authed(s.onceIfKeyed(s.handleAdminCreateSupplier))),
		h("PATCH", "/api/v1/admin/suppliers/{id}", s.authed(s.handleAdminUpdateSupplier)),
		h("POST", "/api/v1/admin/products", s.authed(s.onceIfKeyed(s.handleAdminCreateProduct))),
		h("PATCH", "/api/v1/admin/products/{id}", s.authed(s.handleAdminUpdateProduct)),
		h("POST", "/api/v1/admin/deals", s.authed(s.onceIfKeyed(s.handleAdminCreateDeal))),
		h("GET", "/api/v1/admin/deals/{id}", s.authed(s.handleAdminDeal)),
		h("PATCH", "/api/v1/admin/deals/{id}", s.authed(s.handleAdminUpdateDeal)),
		h("POST", "/api/v1/admin/pickup-points", s.authed(s.onceIfKeyed(s.handleAdminCreatePickupPoint))),
		h("PATCH", "/api/v1/admin/pickup-points/{id}", s.authed(s.handleAdminUpdatePickupPoint)),
		h("POST", "/api/v1/admin/leaders", s.authed(s.onceIfKeyed(s.handleAdminCreateLeader))),
		h("PATCH", "/api/v1/admin/leaders/{id}", s.authed(s.handleAdminUpdateLeader)),
		h("PUT", "/api/v1/admin/cities/{id}/closures/{date}", s.authed(s.handleAdminCloseCity)),
		h("PUT", "/api/v1/admin/pickup-points/{id}/closures", s.authed(s.handleClosePickupPoint)),
		h("POST", "/api/v1/admin/pickup-points/{id}/move-orders", s.authed(s.onceIfKeyed(s.handleAdminMoveOrders))),
		h("POST", "/api/v1/admin/cutoffs", s.authed(s.handleAdminCutoff)),
		h("GET", "/api/v1/admin/cutoffs/{id}/{date}", s.authed(s.handleAdminGetCutoff)),
		h("GET", "/api/v1/admin/purchase-orders", s.authed(s.handleAdminPurchaseOrders)),
		h("GET", "/api/v1/admin/sorting-lists", s.authed(s.handleAdminSortingLists)),
		h("GET", "/api/v1/admin/manifests", s.authed(s.handleAdminManifests)),
		h("POST", "/api/v1/admin/routes/{id}/dispatch", s.authed(s.onceIfKeyed(s.handleAdminDispatch))),
		h("GET", "/api/v1/supplier/purchase-orders", s.authed(s.handleSupplierPurchaseOrders)),
		h("GET", "/api/v1/leader/deliveries/{date}", s.authed(s.handleLeaderDelivery)),
		h("POST", "/api/v1/leader/deliveries/{date}/sign", s.authed(s.handleLeaderSign)),
		h("POST", "/api/v1/leader/pickups", s.authed(s.handleLeaderPickup)),
		h("POST", "/api/v1/admin/pickup-points/{id}/cancel-orders", s.authed(s.onceIfKeyed(s.handleAdminCancelOrders))),

		h("POST", "/api/v1/admin/coupons", s.authed(s.onceIfKeyed(s.handleAdminCreateCoupon))),
		h("GET", "/api/v1/admin/coupons", s.authed(s.handleAdminCoupons)),
		h("POST", "/api/v1/admin/coupons/{id}/issue", s.authed(s.onceIfKeyed(s.handleAdminIssueCoupon))),
		h("GET", "/api/v1/me/coupons", s.authed(s.handleMyCoupons)),
		h("GET", "/api/v1/admin/ledger/trial-balance", s.authed(s.handleAdminTrialBalance)),
		h("GET", "/api/v1/admin/ledger/transfers", s.authed(s.handleAdminTransfers)),

		h("POST", "/api/v1/orders/{id}/after-sales", s.authed(s.handleRequestAfterSale)),
		h("GET", "/api/v1/orders/{id}/after-sales", s.authed(s.handleOrderAfterSales)),
		h("GET", "/api/v1/admin/after-sales", s.authed(s.handleAdminAfterSales)),
		h("POST", "/api/v1/admin/after-sales/{id}/approve", s.authed(s.onceIfKeyed(s.handleAdminApproveAfterSale))),
		h("POST", "/api/v1/admin/after-sales/{id}/reject", s.authed(s.onceIfKeyed(s.handleAdminRejectAfterSale))),
		h("PUT", "/api/v1/admin/cities/{id}/after-sales-window", s.authed(s.handleAdminAfterSalesWindow)),
		h("GET", "/api/v1/supplier/statement", s.authed(s.handleSupplierStatement)),
		h("GET", "/api/v1/leader/statement", s.authed(s.handleLeaderStatement)),
		h("POST", "/api/v1/leader/withdrawals", s.authed(s.handleLeaderWithdraw)),
		h("GET", "/api/v1/leader/withdrawals", s.authed(s.handleLeaderWithdrawals)),
		h("GET", "/api/v1/admin/withdrawals", s.authed(s.handleAdminWithdrawals)),
		h("POST", "/api/v1/admin/withdrawals/{id}/approve", s.authed(s.onceIfKeyed(s.handleAdminApproveWithdrawal))),
		h("POST", "/api/v1/admin/withdrawals/{id}/reject", s.authed(s.onceIfKeyed(s.handleAdminRejectWithdrawal))),
		h("POST", "/api/v1/admin/settlements", s.authed(s.onceIfKeyed(s.handleAdminSettle))),
		h("GET", "/api/v1/admin/settlements", s.authed(s.handleAdminSettlements)),

		h("GET", "/api/v1/status", s.handleStatusJSON),
		h("POST", "/api/v1/admin/incidents", s.authed(s.onceIfKeyed(s.handleAdminOpenIncident))),
		h("POST", "/api/v1/admin/incidents/{id}/updates", s.authed(s.onceIfKeyed(s.handleAdminIncidentUpdate))),
		h("POST", "/api/v1/admin/incidents/{id}/postmortem", s.authed(s.onceIfKeyed(s.handleAdminPostmortem))),
		h("POST", "/api/v1/admin/incidents/{id}/apology-coupons", s.authed(s.handleAdminApologyCoupons)),
		h("POST", "/api/v1/admin/webhooks", s.authed(s.onceIfKeyed(s.handleAdminCreateWebhook))),
		h("GET", "/api/v1/admin/webhooks", s.authed(s.handleAdminWebhooks)),
		h("DELETE", "/api/v1/admin/webhooks/{id}", s.authed(s.handleAdminDeleteWebhook)),
		h("GET", "/api/v1/admin/webhooks/{id}/deliveries", s.authed(s.handleAdminWebhookDeliveries)),
		h("POST", "/api/v1/feedback", s.authed(s.onceIfKeyed(s.handleSendFeedback))),
		h("GET", "/api/v1/admin/feedback", s.authed(s.handleAdminFeedback)),
		h("POST", "/api/v1/admin/feedback/{id}/handle", s.authed(s.onceIfKeyed(s.handleAdminHandleFeedback))),
		h("POST", "/api/v1/auth/password", s.handleResetPassword),
		h("POST", "/api/v1/auth/logout-all", s.enrolling(s.handleLogoutEverywhere)),
		h("POST", "/api/v1/me/password", s.enrolling(s.handleChangePassword)),
		h("POST", "/api/v1/me/totp", s.enrolling(s.handleBeginTOTP)),
		h("POST", "/api/v1/me/totp/confirm", s.enrolling(s.handleConfirmTOTP)),
		h("GET", "/api/v1/admin/backups", s.authed(s.handleAdminBackups)),
		h("GET", "/api/v1/admin/blocklist", s.authed(s.handleListSourceRules(tuango.ListBlock))),
		h("POST", "/api/v1/admin/blocklist", s.authed(s.onceIfKeyed(s.handleAddSourceRule(tuango.ListBlock)))),
		h("DELETE", "/api/v1/admin/blocklist", s.authed(s.handleRemoveSourceRules(tuango.ListBlock))),
		h("GET", "/api/v1/admin/allowlist", s.authed(s.handleListSourceRules(tuango.ListAllow))),
		h("POST", "/api/v1/admin/allowlist", s.authed(s.onceIfKeyed(s.handleAddSourceRule(tuango.ListAllow)))),
		h("DELETE", "/api/v1/admin/allowlist", s.authed(s.handleRemoveSourceRules(tuango.ListAllow))),
	}
}

// sandboxAPI is sandboxOnly for an authenticated API route.
func (s *Server) sandboxAPI(next authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
		s.sandboxOnly(func(w http.ResponseWriter, r *http.Request) { next(w, r, a) })(w, r)
	}
}

// sandboxOnly serves next only with the sandbox switches on (demo, or
// serve --sandbox); otherwise the route answers as if it were not there.
func (s *Server) sandboxOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.SandboxControls {
			err := &tuango.Error{Code: tuango.CodeNotFound, Message: "nothing is at " + r.URL.Path}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				s.writeError(w, r, err)
			} else {
				s.pageError(w, r, nil, err)
			}
			return
		}
		next(w, r)
	}
}
