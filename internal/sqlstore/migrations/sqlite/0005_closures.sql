-- The operating calendar: a city closed for a delivery date (休市), a
-- pickup point closed for a range of dates (歇业), each with the reason
-- shown to customers and who closed it.
CREATE TABLE city_closures (
  city_id TEXT NOT NULL REFERENCES cities(id),
  delivery_date TEXT NOT NULL,
  reason TEXT NOT NULL,
  closed_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (city_id, delivery_date)
);

CREATE TABLE pickup_point_closures (
  id TEXT PRIMARY KEY,
  pickup_point_id TEXT NOT NULL REFERENCES pickup_points(id),
  from_date TEXT NOT NULL,
  to_date TEXT NOT NULL,
  reason TEXT NOT NULL,
  closed_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX pickup_point_closures_point ON pickup_point_closures(pickup_point_id, to_date);
