package chaos

import "database/sql"

// dayTables reads what the day after the sale leaves behind: partial
// refunds, the outbox, the inbox, the SMS receiver's record and the
// users' phones.
func dayTables(t *tables) []struct {
	query string
	scan  func(*sql.Rows) error
} {
	return []struct {
		query string
		scan  func(*sql.Rows) error
	}{
		{`SELECT id, payment_id, order_id, line_no, quantity, amount_fen, reason, status FROM partial_refunds ORDER BY id`, func(r *sql.Rows) error {
			var p partialRow
			err := r.Scan(&p.id, &p.payment, &p.order, &p.lineNo, &p.quantity, &p.amount, &p.reason, &p.status)
			t.partials = append(t.partials, p)
			return err
		}},
		{`SELECT id, phone FROM users`, func(r *sql.Rows) error {
			var id, phone string
			err := r.Scan(&id, &phone)
			t.phones[id] = phone
			return err
		}},
		{`SELECT id, user_id, order_id, kind, sent_at FROM outbox`, func(r *sql.Rows) error {
			var m messageRow
			err := r.Scan(&m.id, &m.user, &m.order, &m.kind, &m.sent)
			t.messages[m.id] = &m
			t.messageIDs = append(t.messageIDs, m.id)
			return err
		}},
		{`SELECT id, user_id FROM notifications`, func(r *sql.Rows) error {
			var id, user string
			if err := r.Scan(&id, &user); err != nil {
				return err
			}
			if m := t.messages[id]; m != nil {
				m.inbox++
				m.inboxUser = user
			} else {
				t.strays = append(t.strays, "inbox copy "+id)
			}
			return nil
		}},
		{`SELECT message_id, phone FROM sandbox_sms`, func(r *sql.Rows) error {
			var id, phone string
			if err := r.Scan(&id, &phone); err != nil {
				return err
			}
			if m := t.messages[id]; m != nil {
				m.sms++
				m.smsPhone = phone
			} else {
				t.strays = append(t.strays, "SMS "+id+" to "+phone)
			}
			return nil
		}},
	}
}

// attachPartials hangs each partial refund on its order line.
func (t *tables) attachPartials() {
	for _, p := range t.partials {
		o := t.orders[p.order]
		if o == nil {
			continue
		}
		for i := range o.lines {
			if o.lines[i].lineNo == p.lineNo {
				o.lines[i].partials = append(o.lines[i].partials, p)
			}
		}
	}
}
