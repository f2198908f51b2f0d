package tuango

import "time"

// OrderStats sums up the orders since a time, for the operator's
// dashboard: counted by the database, not from a sample of rows.
type OrderStats struct {
	// Hours are the hours, oldest first, in which orders were placed or
	// paid; an hour with neither is absent.
	Hours []HourStats
	// ByStatus counts the orders placed since then by their status now.
	ByStatus map[OrderStatus]int
	// PickedUp counts the orders handed over since then (whatever they
	// were refunded after); AfterSales the after-sales requests made since
	// then, whatever was decided.
	PickedUp, AfterSales int
}

// HourStats is one hour of orders.
type HourStats struct {
	Hour    time.Time // the hour's start, UTC
	Placed  int       // orders placed in the hour
	PaidFen Fen       // the totals of the orders paid in the hour
}
