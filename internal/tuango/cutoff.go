package tuango

import (
	"fmt"
	"time"
)

// A city's cutoff (截单) is a local time of day, such as 23:00: orders
// placed before it on one day are bought from suppliers that night and
// delivered the next day. These rules are the one place that reads
// City.Cutoff and City.TimeZone.

// Location returns the city's time zone. China has kept UTC+8 without
// daylight saving since 1991, so Asia/Shanghai works even on a machine
// without the time zone database.
func (c *City) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil && c.TimeZone == "Asia/Shanghai" {
		return time.FixedZone("CST", 8*3600), nil
	}
	if err != nil {
		return nil, fmt.Errorf("city %s: time zone %q: %w", c.Name, c.TimeZone, err)
	}
	return loc, nil
}

// Today is the city's local date at now, YYYY-MM-DD.
func (c *City) Today(now time.Time) (string, error) {
	loc, err := c.Location()
	if err != nil {
		return "", err
	}
	return now.In(loc).Format(time.DateOnly), nil
}

// cutoffClock returns the city's location and its cutoff's hour and minute.
func (c *City) cutoffClock() (*time.Location, int, int, error) {
	loc, err := c.Location()
	if err != nil {
		return nil, 0, 0, err
	}
	hm, err := time.Parse("15:04", c.Cutoff)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("city %s: cutoff %q is not a time of day written HH:MM", c.Name, c.Cutoff)
	}
	return loc, hm.Hour(), hm.Minute(), nil
}

// CutoffFor returns when ordering closes for delivery on date (YYYY-MM-DD,
// the city's local date): the city's cutoff time on the day before.
func (c *City) CutoffFor(date string) (time.Time, error) {
	loc, h, m, err := c.cutoffClock()
	if err != nil {
		return time.Time{}, err
	}
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return time.Time{}, FieldError("delivery_date", "must be a date written YYYY-MM-DD")
	}
	return time.Date(day.Year(), day.Month(), day.Day()-1, h, m, 0, 0, loc).UTC(), nil
}

// NextCutoff returns the first of the city's cutoffs at least lead after
// now, and the local date of the delivery it closes ordering for (the day
// after it).
func (c *City) NextCutoff(now time.Time, lead time.Duration) (cutoff time.Time, deliveryDate string, err error) {
	loc, h, m, err := c.cutoffClock()
	if err != nil {
		return time.Time{}, "", err
	}
	local := now.In(loc)
	cut := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc)
	for cut.Sub(now) < lead {
		cut = time.Date(cut.Year(), cut.Month(), cut.Day()+1, h, m, 0, 0, loc)
	}
	delivery := time.Date(cut.Year(), cut.Month(), cut.Day()+1, 0, 0, 0, 0, loc)
	return cut.UTC(), delivery.Format(time.DateOnly), nil
}
