package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const announcementColumns = `id, event, cities, kind, params, payload, at, created_at, webhooks_queued, cursor_user, told, done_at`

func scanAnnouncement(sc scanner, a *tuango.Announcement) error {
	var cities, params, payload string
	var at, created, done int64
	var queued int
	if err := sc.Scan(&a.ID, &a.Event, &cities, &a.Kind, &params, &payload, &at, &created, &queued, &a.Cursor, &a.Told, &done); err != nil {
		return err
	}
	if cities != "" {
		a.Cities = strings.Split(cities, ",")
	}
	a.Payload = json.RawMessage(payload)
	a.At, a.CreatedAt, a.DoneAt, a.WebhooksQueued = fromMicros(at), fromMicros(created), fromMicros(done), queued != 0
	if params == "" {
		return nil
	}
	return json.Unmarshal([]byte(params), &a.Params)
}

// AddAnnouncement stores an announcement once by id.
func (s *Store) AddAnnouncement(ctx context.Context, a *tuango.Announcement) error {
	params, err := json.Marshal(a.Params)
	if err != nil {
		return wrap(err, "add announcement %s", a.ID)
	}
	_, err = s.exec(ctx, `INSERT INTO announcements (id, event, cities, kind, params, payload, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, a.ID, a.Event, strings.Join(a.Cities, ","), string(a.Kind), string(params), string(a.Payload), micros(a.At), micros(a.CreatedAt))
	return wrap(err, "add announcement %s", a.ID)
}

// FindAnnouncementByID finds an announcement.
func (s *Store) FindAnnouncementByID(ctx context.Context, id string) (*tuango.Announcement, error) {
	var a tuango.Announcement
	if err := scanAnnouncement(s.queryRow(ctx, `SELECT `+announcementColumns+` FROM announcements WHERE id = ?`, id), &a); err != nil {
		return nil, wrap(notFound(err), "find announcement %s", id)
	}
	return &a, nil
}

// FindPendingAnnouncements lists announcements not done, oldest first.
func (s *Store) FindPendingAnnouncements(ctx context.Context, limit int) ([]tuango.Announcement, error) {
	as, err := queryAll(s, ctx, scanAnnouncement, `SELECT `+announcementColumns+` FROM announcements WHERE done_at = 0 ORDER BY created_at, id LIMIT ?`, limit)
	return as, wrap(err, "find pending announcements")
}

// MoveAnnouncementCursor moves a fan-out's cursor by a guarded update.
func (s *Store) MoveAnnouncementCursor(ctx context.Context, id, from, to string, told int, doneAt time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE announcements SET cursor_user = ?, told = told + ?, done_at = ? WHERE id = ? AND cursor_user = ? AND done_at = 0`,
		to, told, micros(doneAt), id, from)
	return ok, wrap(err, "move the cursor of announcement %s", id)
}

// audienceSQL is who the users of some cities are (?C stands for the
// list of cities): customers whose home pickup point is in one or who
// ordered in one since a time, the leaders of the cities' pickup points,
// and the suppliers with a deal in one.
const audienceSQL = `SELECT u.id FROM users u WHERE u.id > ? AND (
	(u.role = 'customer' AND (u.home_pickup_point_id IN (SELECT p.id FROM pickup_points p WHERE p.city_id IN (?C))
		OR EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.city_id IN (?C) AND o.created_at >= ?)))
	OR (u.role = 'leader' AND EXISTS (SELECT 1 FROM pickup_points p WHERE p.leader_id = u.id AND p.city_id IN (?C)))
	OR (u.role = 'supplier' AND EXISTS (SELECT 1 FROM products pr JOIN deals d ON d.product_id = pr.id
		WHERE pr.supplier_id = u.supplier_id AND d.city_id IN (?C))))
	ORDER BY u.id LIMIT ?`

// everyoneSQL is the audience of every city.
const everyoneSQL = `SELECT u.id FROM users u WHERE u.id > ? AND u.role IN ('customer', 'leader', 'supplier') ORDER BY u.id LIMIT ?`

// FindAudience returns the ids of the users an audience reaches.
func (s *Store) FindAudience(ctx context.Context, a tuango.Audience) ([]string, error) {
	scan := func(sc scanner, id *string) error { return sc.Scan(id) }
	if len(a.Cities) == 0 {
		ids, err := queryAll(s, ctx, scan, everyoneSQL, a.After, a.Limit)
		return ids, wrap(err, "find the audience of every city")
	}
	cities := make([]any, len(a.Cities))
	for i, c := range a.Cities {
		cities[i] = c
	}
	args := []any{a.After}
	args = append(append(args, cities...), cities...)
	args = append(args, micros(a.OrderedFrom))
	args = append(append(args, cities...), cities...)
	args = append(args, a.Limit)
	q := strings.ReplaceAll(audienceSQL, "?C", placeholders(len(cities)))
	ids, err := queryAll(s, ctx, scan, q, args...)
	return ids, wrap(err, "find the audience of %d cities", len(cities))
}
