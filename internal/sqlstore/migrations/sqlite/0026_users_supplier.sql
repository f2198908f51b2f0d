-- A supplier's accounts, found by the supplier they speak for: a
-- settlement's payment or failure is told to each of them. Only supplier
-- accounts have a supplier, so the index holds those few rows, not every
-- customer.
CREATE INDEX users_supplier ON users(supplier_id) WHERE supplier_id IS NOT NULL;
