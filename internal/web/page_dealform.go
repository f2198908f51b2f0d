package web

import (
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The deal editor's form: what is typed, checked before the domain sees it.

// fieldOf names the form field a validation error is about, if any.
func fieldOf(err error) string {
	e, ok := err.(*tuango.Error)
	if !ok || e.Field == "" || (e.Code != tuango.CodeInvalid && e.Code != tuango.CodeConflict && e.Code != tuango.CodePhoneTaken && e.Code != tuango.CodePasswordTooWeak) {
		return ""
	}
	switch e.Field {
	case "price_fen":
		return "price"
	case "list_price_fen":
		return "list_price"
	case "limit_per_customer":
		return "limit"
	}
	return e.Field
}

// dealFieldRule is the message id that says what a field must be.
func dealFieldRule(field string) string { return "rule." + field }

// parseDealForm checks what can be checked before the domain sees it —
// numbers and times as typed — and returns how to apply the form to a deal.
func parseDealForm(pg *page, f *dealForm) (apply func(*tuango.Deal), bad bool) {
	fail := func(field string) { f.Errors[field] = pg.T(dealFieldRule(field)) }
	price, ok := parseYuan(f.Price)
	if !ok {
		fail("price")
	}
	list, ok := parseYuan(f.ListPrice)
	if !ok {
		fail("list_price")
	}
	stock, err := strconv.Atoi(f.Stock)
	if err != nil {
		fail("stock")
	}
	limit, err := strconv.Atoi(f.Limit)
	if err != nil {
		fail("limit")
	}
	starts, err := time.ParseInLocation(formTime, f.Starts, shanghai)
	if err != nil {
		fail("sale_starts_at")
	}
	ends, err := time.ParseInLocation(formTime, f.Ends, shanghai)
	if err != nil {
		fail("sale_ends_at")
	}
	if f.ProductID == "" {
		fail("product_id")
	}
	if f.CityID == "" {
		fail("city_id")
	}
	if f.ID == "" && f.Errors["sale_ends_at"] == "" && !ends.After(pg.now) {
		f.Errors["sale_ends_at"] = pg.T("rule.sale_ends_at.past") // a new deal's sale is not over before it starts
	}
	if len(f.Errors) > 0 {
		return nil, true
	}
	return func(d *tuango.Deal) {
		d.ProductID, d.CityID, d.Title, d.PriceFen, d.ListPriceFen = f.ProductID, f.CityID, f.Title, price, list
		d.Stock, d.LimitPerCustomer, d.SaleStartsAt, d.SaleEndsAt, d.DeliveryDate = stock, limit, starts, ends, f.Delivery
		d.Flash = f.Flash
	}, false
}

// parseYuan reads an amount typed in yuan, such as 12, 12.5 or 12.50, into
// fen, without floats.
func parseYuan(s string) (tuango.Fen, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "¥")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || len(frac) > 2 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 64)
	c, err2 := strconv.ParseUint(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return tuango.Fen(w*100 + c), true
}
