package tuango

import (
	"context"
	"time"
)

// Store is tuango's storage. Methods called on the Store given to InTx's
// function run in that transaction; elsewhere each call stands alone.
// Finders return an error with code not_found for a missing row, never nil
// and nil.
type Store interface {
	AfterSalesStore
	IncidentStore
	// InTx runs fn in one transaction, committed if fn returns nil. A nested
	// InTx joins the outer transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Bind returns ctx carrying this transaction: every call on the store
	// made with the returned context runs in it, and InTx joins it, so
	// that code which never sees tx still commits or rolls back with it.
	// Outside a transaction it returns ctx as it is.
	Bind(ctx context.Context) context.Context
	// Ping checks that the database answers and its migrations are current.
	Ping(ctx context.Context) error

	CreateCity(ctx context.Context, c *City) error
	FindCityByID(ctx context.Context, id string) (*City, error)
	FindCities(ctx context.Context) ([]City, error)
	CreateWarehouse(ctx context.Context, w *Warehouse) error
	FindWarehouses(ctx context.Context, cityID string) ([]Warehouse, error)
	CreateRoute(ctx context.Context, r *Route) error
	FindRouteByID(ctx context.Context, id string) (*Route, error)
	FindRoutes(ctx context.Context, cityID string) ([]Route, error)

	CreatePickupPoint(ctx context.Context, p *PickupPoint) error
	UpdatePickupPoint(ctx context.Context, p *PickupPoint) error
	FindPickupPointByID(ctx context.Context, id string) (*PickupPoint, error)
	FindPickupPoints(ctx context.Context, f PickupPointFilter) ([]PickupPoint, error)

	CreateSupplier(ctx context.Context, s *Supplier) error
	UpdateSupplier(ctx context.Context, s *Supplier) error
	FindSupplierByID(ctx context.Context, id string) (*Supplier, error)
	FindSuppliers(ctx context.Context) ([]Supplier, error)

	CreateProduct(ctx context.Context, p *Product) error
	UpdateProduct(ctx context.Context, p *Product) error
	FindProductByID(ctx context.Context, id string) (*Product, error)
	FindProducts(ctx context.Context, supplierID string) ([]Product, error)

	CreateDeal(ctx context.Context, d *Deal) error
	// UpdateDeal changes a deal's terms; it fails with conflict if the new
	// stock is below the units already reserved.
	UpdateDeal(ctx context.Context, d *Deal) error
	FindDealByID(ctx context.Context, id string) (*Deal, error)
	FindDeals(ctx context.Context, f DealFilter) ([]Deal, error)
	AddDealPrice(ctx context.Context, p *DealPrice) error
	FindDealPrices(ctx context.Context, dealID string) ([]DealPrice, error)
	// ReserveStock takes qty units of a deal if that many remain, and
	// reports whether it did. It never takes part of qty.
	ReserveStock(ctx context.Context, dealID string, qty int) (bool, error)
	// Lock takes the write locks of the rows of kind e with the given ids, in id order
	// and once each, for the rest of the transaction, so that a read-change-write in it
	// cannot lose a concurrent change. Every transaction that changes deals takes their
	// locks first, so that none waits on another in a cycle. Missing ids are ignored.
	// (SQLite's one writer needs no row locks.)
	Lock(ctx context.Context, e Entity, ids ...string) error
	// ReleaseStock gives qty units back.
	ReleaseStock(ctx context.Context, dealID string, qty int) error
	// FindLimitUnits returns the units of a deal counted against each of
	// the given customers' limits (customers with none are absent).
	FindLimitUnits(ctx context.Context, dealID string, userIDs []string) (map[string]int, error)
	// AddLimitUnits counts more units against customers' limits, without
	// a guard: the caller holds the deals (Lock) and has checked the
	// limits. At most one row per (customer, deal).
	AddLimitUnits(ctx context.Context, rows []LimitUnits) error
	// ReleaseLimit uncounts qty units.
	ReleaseLimit(ctx context.Context, userID, dealID string, qty int) error

	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// AdvanceTOTPStep records step as the user's last accepted TOTP step
	// if it is later than the recorded one, and reports whether it was: a
	// guarded write, so that one code signs in once across nodes.
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	FindUserByID(ctx context.Context, id string) (*User, error)
	FindUserByPhone(ctx context.Context, phone string) (*User, error)
	// FindUsers lists users by name (then id), filtered by f.
	FindUsers(ctx context.Context, f UserFilter) ([]User, error)
	CreateSession(ctx context.Context, s *Session) error
	// FindSession finds a session that has not expired at now.
	FindSession(ctx context.Context, tokenHash string, now time.Time) (*Session, error)
	// FindSessionUser finds a session alive at now and its user, in one
	// query: every authenticated request asks it.
	FindSessionUser(ctx context.Context, tokenHash string, now time.Time) (*User, *Session, error)
	// FindSessionUsers is FindSessionUser for many sessions at once: those
	// of tokenHashes alive at now, each once, with their users; a hash
	// without one is left out.
	FindSessionUsers(ctx context.Context, tokenHashes []string, now time.Time) ([]SessionUser, error)
	// TouchSession records that a session was used at at (never earlier).
	TouchSession(ctx context.Context, tokenHash string, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteUserSessions ends every session of a user but except (a token
	// hash; none when empty) and reports how many ended.
	DeleteUserSessions(ctx context.Context, userID, except string) (int, error)
	// FindUserSessions lists a user's sessions alive at now, newest first.
	FindUserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	LoginLimitStore
	GuardStore

	// CreateOrder inserts an order and its lines; an order of the same
	// customer with the same IdempotencyKey fails it with code conflict.
	CreateOrder(ctx context.Context, o *Order) error
	// CreateOrders inserts many orders and their lines in few statements,
	// all or none, as CreateOrder.
	CreateOrders(ctx context.Context, orders []*Order) error
	FindOrderByID(ctx context.Context, id string) (*Order, error)
	FindOrders(ctx context.Context, f OrderFilter) ([]Order, error)
	// CountUnpaidOrders counts each given customer's orders awaiting
	// payment whose deadline is after now (customers with none are absent).
	CountUnpaidOrders(ctx context.Context, userIDs []string, now time.Time) (map[string]int, error)
	// OrderStats counts the orders placed since a time by hour and by
	// status, and sums what was paid since then by hour.
	OrderStats(ctx context.Context, since time.Time) (*OrderStats, error)
	// UpdateOrderStatus writes o's status and the columns its moves record
	// (paid_at, cancelled_at, cancel_reason, pickup_code, confirmed_at,
	// shipped_at, arrived_at, picked_up_at, unclaimed_at, refunded_at,
	// refunded_fen, and each line's refunded_quantity and refunded_fen) if
	// the order is still in status from, and reports whether it was. The
	// domain decides the values; the store only writes them.
	UpdateOrderStatus(ctx context.Context, o *Order, from OrderStatus) (bool, error)
	// AddOrderEvent records a move in an order's timeline; a second event
	// of one order into one status fails with conflict.
	AddOrderEvent(ctx context.Context, e *OrderEvent) error
	// AddOrderEvents records many moves in few statements; if one of them
	// is a second event of an order into a status, it fails with conflict.
	AddOrderEvents(ctx context.Context, es []OrderEvent) error
	// UpdateOrderStatuses moves the orders with the given ids that are still in
	// status from to status to, writing the one time the move records
	// (confirmed_at for confirmed, shipped_at for shipped, ...) as at, in
	// few statements, and returns the ids of the orders it moved; an order
	// no longer in status from is left as it is. Only moves that record
	// nothing but their time may be made this way.
	UpdateOrderStatuses(ctx context.Context, ids []string, from, to OrderStatus, at time.Time) ([]string, error)
	// CountDeliveryOrders counts a city's orders for a delivery date in the
	// given statuses.
	CountDeliveryOrders(ctx context.Context, cityID, date string, statuses []OrderStatus) (int, error)
	// FindOrderEvents returns an order's timeline, oldest first.
	FindOrderEvents(ctx context.Context, orderID string) ([]OrderEvent, error)
	// FindOrderByPickupCode finds the order of a pickup point with a pickup
	// code: its open one (paid up to arrived) if it has one, else the last
	// one picked up with it.
	FindOrderByPickupCode(ctx context.Context, pickupPointID, code string) (*Order, error)
	// SumDeliveryUnits sums the units of a city's orders for a delivery
	// date in the given statuses, per pickup point and deal, and counts
	// the orders per pickup point.
	SumDeliveryUnits(ctx context.Context, cityID, date string, statuses []OrderStatus) (DeliveryUnits, error)

	// AddPickupVerification logs a leader's attempt to verify a code.
	AddPickupVerification(ctx context.Context, v *PickupVerification) error
	// CountFailedPickups counts a leader's wrong codes after a time, and
	// returns the oldest one's time.
	CountFailedPickups(ctx context.Context, leaderID string, since time.Time) (int, time.Time, error)

	// MarkReminded records that an order's customer was reminded to
	// collect it, once, and reports whether this call did.
	MarkReminded(ctx context.Context, orderID string, at time.Time) (bool, error)

	// AddOutbox writes a message to the outbox.
	AddOutbox(ctx context.Context, m *Message) error
	// AddOutboxMessages writes many messages to the outbox in few
	// statements.
	AddOutboxMessages(ctx context.Context, ms []*Message) error
	// FindUnsentMessages returns outbox messages not yet sent, oldest first.
	FindUnsentMessages(ctx context.Context, limit int) ([]Message, error)
	// AddToInbox copies a message to its user's inbox, once per id.
	AddToInbox(ctx context.Context, m *Message) error
	// MarkMessageSent records that a message was sent, once.
	MarkMessageSent(ctx context.Context, id string, at time.Time) (bool, error)
	// FindInbox returns a user's inbox messages, newest first, older than
	// the message with id before when it is not empty.
	FindInbox(ctx context.Context, userID, before string, limit int) ([]Message, error)

	// MoveOrderPickupPoint moves an order to another pickup point with its
	// pickup code if it is still in status and at point from, and reports
	// whether it was.
	MoveOrderPickupPoint(ctx context.Context, orderID string, status OrderStatus, from, to, code string) (bool, error)
	// SaveCityClosure closes a city for a date, or changes the reason.
	SaveCityClosure(ctx context.Context, c *Closure) error
	// AddPickupPointClosure closes a pickup point for a range of dates.
	AddPickupPointClosure(ctx context.Context, c *Closure) error
	// FindClosures returns the closures of the given cities and pickup
	// points that end on or after a date.
	FindClosures(ctx context.Context, cityIDs, pickupPointIDs []string, from string) ([]Closure, error)

	// CreateCutoff records that a city's cutoff for a date started; a
	// second one fails with conflict.
	CreateCutoff(ctx context.Context, c *CutoffRun) error
	FindCutoff(ctx context.Context, cityID, date string) (*CutoffRun, error)
	// FinishCutoff writes a started cutoff's summary once, and reports
	// whether this call did.
	FinishCutoff(ctx context.Context, c *CutoffRun) (bool, error)
	// SetCutoffTotal sets a running cutoff's total of orders to move to
	// the orders it moved so far plus toMove, and reports whether it is
	// running.
	SetCutoffTotal(ctx context.Context, cityID, date string, toMove int) (bool, error)
	// AddCutoffMoved adds n to a running cutoff's orders moved so far, and
	// reports whether it is running.
	AddCutoffMoved(ctx context.Context, cityID, date string, n int) (bool, error)
	// FindUncutDates returns the delivery dates of a city's deals that have
	// no finished cutoff, in order.
	FindUncutDates(ctx context.Context, cityID string) ([]string, error)
	// CountLiveUnits counts the units of a deal in a user's live orders.
	CountLiveUnits(ctx context.Context, userID, dealID string) (int, error)

	CreatePayment(ctx context.Context, p *Payment) error
	// UpdatePayment records provider details; SetPaymentStatus moves status.
	UpdatePayment(ctx context.Context, p *Payment) error
	SetPaymentStatus(ctx context.Context, id string, from, to PaymentStatus, txnID string, at time.Time) (bool, error)
	FindPaymentByID(ctx context.Context, id string) (*Payment, error)
	FindPayments(ctx context.Context, f PaymentFilter) ([]Payment, error)
	// RecordProviderEvent stores a notification's event id and reports
	// whether it was new.
	RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
	CreateRefund(ctx context.Context, r *Refund) error
	FindRefunds(ctx context.Context, paymentID string, status RefundStatus, limit int) ([]Refund, error)
	// FindCancelRefunds finds, for many orders at once, the whole-payment
	// refunds with reason RefundOrderCancelled of each order's succeeded
	// payments, each order's oldest first; orders without one are absent.
	FindCancelRefunds(ctx context.Context, orderIDs []string) ([]Refund, error)
	SetRefundStatus(ctx context.Context, id string, from, to RefundStatus, at time.Time) (bool, error)

	// FindIdempotency finds the record of a key: a stored record, or the
	// order the scope's customer placed with the key (OrderID set, Body
	// empty; a stored record of the key comes first).
	FindIdempotency(ctx context.Context, scope, key string) (*IdempotencyRecord, error)
	// FindIdempotencies finds the records of many keys at once, as
	// FindIdempotency does; keys without a record are simply absent from
	// the result.
	FindIdempotencies(ctx context.Context, keys []IdemKey) ([]IdempotencyRecord, error)
	// SaveIdempotency stores a record; a second record for the same scope
	// and key fails with code conflict.
	SaveIdempotency(ctx context.Context, r *IdempotencyRecord) error
	// SaveIdempotencies stores many records; if any key exists, it fails
	// with code conflict and stores none.
	SaveIdempotencies(ctx context.Context, rs []*IdempotencyRecord) error
	DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int, error)
	// WriteOrders writes an accepted batch of orders, in a transaction:
	// it takes each deal's units as ReserveStock does, adds the customers'
	// limit units (AddLimitUnits) and inserts the orders with their lines
	// (CreateOrders), each the record of its key: a customer's key that
	// names an order already fails it with code conflict. It reports false if a
	// deal had fewer units left than asked; then, as after an error, the
	// transaction must not commit.
	WriteOrders(ctx context.Context, w OrderWrites) (bool, error)

	// AcquireLease takes or renews the named lease for owner until the given
	// time, if it is free or expired at now, and reports whether it did.
	AcquireLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
	// Setting returns a named setting, storing def first if it has none.
	Setting(ctx context.Context, name, def string) (string, error)

	// MarkProviderDown opens o as its provider's outage, or, if one is
	// open, moves that one's SeenAt up to o.SeenAt.
	MarkProviderDown(ctx context.Context, o *ProviderOutage) error
	// EndProviderOutage ends the provider's open outage at okAt, by node,
	// if it was last seen failing before okAt, and reports whether it did.
	EndProviderOutage(ctx context.Context, provider, node string, okAt time.Time) (bool, error)
	// LapseProviderOutages ends, at their SeenAt, the provider's open
	// outages last seen before the given time, and reports how many.
	LapseProviderOutages(ctx context.Context, provider string, seenBefore time.Time) (int, error)
	// FindProviderOutages lists the provider's outages that are open or
	// ended at or after since, the latest started first.
	FindProviderOutages(ctx context.Context, provider string, since time.Time) ([]ProviderOutage, error)
	// ExtendPaymentDeadlines moves the deadline of every unpaid order due
	// between from and to (both included) to until, or to the earliest
	// sale end of its deals if that comes first; a deadline never moves
	// earlier. It reports how many orders it changed.
	ExtendPaymentDeadlines(ctx context.Context, from, to, until time.Time) (int, error)

	// CreateCoupon stores an operator's coupon.
	CreateCoupon(ctx context.Context, c *Coupon) error
	FindCouponByID(ctx context.Context, id string) (*Coupon, error)
	// FindCoupons lists every coupon, newest first.
	FindCoupons(ctx context.Context) ([]Coupon, error)
	// IssueCoupons stores customer coupons, skipping each whose customer
	// already holds that coupon, and reports how many it stored.
	IssueCoupons(ctx context.Context, cs []*CustomerCoupon) (int, error)
	// FindCustomerCoupons lists customer coupons with their coupons' terms,
	// the newest issued first.
	FindCustomerCoupons(ctx context.Context, f CustomerCouponFilter) ([]CustomerCoupon, error)
	// UseCustomerCoupon marks an available customer coupon used on an
	// order, and reports whether it was available.
	UseCustomerCoupon(ctx context.Context, id, orderID string, at time.Time) (bool, error)
	// ReturnCustomerCoupon makes a customer coupon used on an order
	// available again, and reports whether it was used on that order.
	ReturnCustomerCoupon(ctx context.Context, id, orderID string) (bool, error)
	// HasPaidOrder reports whether a customer has ever paid for an order.
	HasPaidOrder(ctx context.Context, userID string) (bool, error)
	// FindNewCustomers returns the ids of every customer who has never paid
	// for an order, in id order.
	FindNewCustomers(ctx context.Context) ([]string, error)
	// PostLedgerSet appends a balanced set and its transfers; a second set
	// with the same key fails with conflict, without aborting the
	// transaction, and writes nothing.
	PostLedgerSet(ctx context.Context, set *LedgerSet) error
	// HasLedgerSet reports whether a set with the key was posted.
	HasLedgerSet(ctx context.Context, key string) (bool, error)
	// FindLedgerEntries lists transfers oldest first (by time, set, place).
	FindLedgerEntries(ctx context.Context, f LedgerFilter) ([]LedgerEntry, error)
	// LedgerBalances sums the journal per account, by account name.
	LedgerBalances(ctx context.Context) ([]AccountBalance, error)
	// StatementStore reads a party's transfers for its statements.
	StatementStore
	// FindUnreleasedPickups returns the ids of a city's orders picked up at
	// or before a time whose handover was posted and whose commission was
	// not released yet, oldest first.
	FindUnreleasedPickups(ctx context.Context, cityID string, pickedUpBefore time.Time, limit int) ([]string, error)

	PayoutStore
	TellStore
	BackupRunStore
	AuditStore
}

// OrderWrites are the rows an accepted batch of orders writes (see
// Store.WriteOrders).
type OrderWrites struct {
	Stock  []DealUnits // units taken from each deal, in deal id order
	Limits []LimitUnits
	Orders []*Order // each its key's record (see placed.go)
}

// DealUnits are units of one deal.
type DealUnits struct {
	DealID string
	Units  int
}
