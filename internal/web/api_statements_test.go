package web

import (
	"bytes"
	"encoding/csv"
	"html"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tuango/internal/tuango"
)

// statementDay signs for the day's delivery in full and hands over the
// first two of its three orders.
func statementDay(t *testing.T, e *env) (*dayScene, *client, *client) {
	t.Helper()
	sc := newDayScene(e, true, true)
	leader, supplier := e.login(sc.leaderPhone), e.login(sc.supplierPhone)
	leader.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": sc.deal, "received": 3, "damaged": 0}}}, 200, nil, "Idempotency-Key", newKey())
	for _, o := range sc.orders[:2] {
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": o.PickupCode}, 200, nil, "Idempotency-Key", newKey())
	}
	return sc, leader, supplier
}

// balanceIn is an account's balance in the operator's trial balance.
func balanceIn(e *env, account string) tuango.Fen {
	var tb trialBalanceView
	e.operator.mustDo("GET", "/api/v1/admin/ledger/trial-balance", nil, 200, &tb)
	for _, a := range tb.Accounts {
		if a.Account == account {
			return a.BalanceFen
		}
	}
	return 0
}

func csvRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not read back: %v", err)
	}
	return rows
}

func xlsxRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows { // GetRows drops trailing empty cells
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

// The statements through the API: each party's JSON balances, equals its
// account in the trial balance, and its CSV and XLSX carry the same lines;
// bad periods are refused with the field.
func TestStatementsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	sc, leader, supplier := statementDay(t, e)
	for _, c := range []struct {
		who      *client
		path     string
		accounts []string
		lines    int
	}{
		{supplier, "/api/v1/supplier/statement", []string{tuango.SupplierPayable(e.supplierID)}, 2},
		{leader, "/api/v1/leader/statement", []string{tuango.CommissionFrozen(leader.userID), tuango.CommissionAvailable(leader.userID)}, 2},
	} {
		t.Run(c.path, func(t *testing.T) {
			var st statementView
			c.who.mustDo("GET", c.path, nil, 200, &st)
			var want, sum int64
			for _, a := range c.accounts {
				want += int64(balanceIn(e, a))
			}
			for _, l := range st.Lines {
				sum += l.AmountFen
				if l.Event != "pickup_completed" || l.Units != 1 || l.LineNo != 1 || l.SetID == "" || l.Title == "" ||
					(l.OrderID != sc.orders[0].ID && l.OrderID != sc.orders[1].ID) {
					t.Errorf("line %+v, want a pickup of one unit of line 1 of a handed-over order", l)
				}
			}
			if len(st.Lines) != c.lines || want == 0 || st.ClosingFen != want || st.OpeningFen+sum != st.ClosingFen {
				t.Errorf("%d lines, opening %d + %d = closing %d; want %d lines, closing %d (the trial balance)", len(st.Lines), st.OpeningFen, sum, st.ClosingFen, c.lines, want)
			}
			if st.Party == "leader" && (st.FrozenFen != want || st.AvailableFen != 0 || st.Leader == nil || st.Leader.OrdersPickedUp != 2) {
				t.Errorf("leader: frozen %d, available %d, summary %+v; want %d frozen inside the window, 2 orders", st.FrozenFen, st.AvailableFen, st.Leader, want)
			}
			if st.Party == "supplier" && (st.AvailableFen != want || st.FrozenFen != 0 || st.Supplier == nil || st.Supplier.UnitsDelivered != 2 || st.Supplier.PayableFen != want) {
				t.Errorf("supplier: available %d, frozen %d, summary %+v; want %d available, 2 units", st.AvailableFen, st.FrozenFen, st.Supplier, want)
			}

			q := "?from=" + st.From + "&to=" + st.To
			cr := c.who.do("GET", c.path+q+"&format=csv", nil)
			xr := c.who.do("GET", c.path+q+"&format=xlsx", nil)
			if cr.status != 200 || !strings.Contains(cr.header.Get("Content-Disposition"), ".csv") || xr.status != 200 || !strings.Contains(xr.header.Get("Content-Disposition"), ".xlsx") {
				t.Fatalf("downloads = %d %q, %d %q", cr.status, cr.header.Get("Content-Disposition"), xr.status, xr.header.Get("Content-Disposition"))
			}
			rows := csvRows(t, cr.body)
			if got := xlsxRows(t, xr.body); !reflect.DeepEqual(got, rows) {
				t.Errorf("the XLSX rows differ from the CSV's:\n%q\n%q", got, rows)
			}
			if len(rows) != 1+1+len(st.Lines)+1 || rows[1][7] != strconv.FormatInt(st.OpeningFen, 10) || rows[len(rows)-1][7] != strconv.FormatInt(st.ClosingFen, 10) {
				t.Fatalf("CSV rows = %q; want a header, the opening, %d lines, the closing", rows, len(st.Lines))
			}
			if rows[0][0] != "at" || rows[1][0] != st.From || rows[len(rows)-1][0] != st.To {
				t.Errorf("CSV first column = %q, %q ... %q; want at, the period's dates %s and %s", rows[0][0], rows[1][0], rows[len(rows)-1][0], st.From, st.To)
			}
			for i, l := range st.Lines {
				r := rows[2+i]
				if r[1] != l.Event || r[3] != l.OrderID || r[4] != strconv.Itoa(l.LineNo) || r[7] != strconv.FormatInt(l.AmountFen, 10) || r[8] != l.SetID {
					t.Errorf("CSV row %q, JSON line %+v: want the same", r, l)
				}
				if at, err := time.Parse(time.RFC3339Nano, r[0]); err != nil || !at.Equal(l.At) || !strings.HasSuffix(r[0], "+08:00") {
					t.Errorf("CSV row's time %q, JSON line's %s: want the same instant in Beijing time (+08:00)", r[0], l.At.Format(time.RFC3339Nano))
				}
			}
		})
	}

	t.Run("bad periods are refused with the field", func(t *testing.T) {
		for _, c := range []struct{ q, field string }{
			{"from=2026-02-30&to=2026-03-01", "from"},
			{"from=2026-11-01&to=tomorrow", "to"},
			{"from=2026-11-02&to=2026-11-01", "from"},
			{"from=2025-01-01&to=2026-11-01", "to"},
		} {
			for _, path := range []string{"/api/v1/leader/statement", "/api/v1/supplier/statement"} {
				who := leader
				if strings.Contains(path, "supplier") {
					who = supplier
				}
				r := who.do("GET", path+"?"+c.q, nil)
				if p := r.problem(); r.status != 400 || p.Code != tuango.CodeInvalid || p.Field != c.field {
					t.Errorf("GET %s?%s = %d %s, want 400 %s on %s", path, c.q, r.status, r.body, tuango.CodeInvalid, c.field)
				}
			}
		}
		if r := leader.do("GET", "/api/v1/leader/statement?format=pdf", nil); r.status != 400 || r.problem().Field != "format" {
			t.Errorf("format=pdf = %d %s, want 400 on format", r.status, r.body)
		}
	})
}

// The statement pages render the summary and the lines in the reader's
// language, and their download links answer the API's tables; a bad period
// is shown on the form.
func TestStatementPages(t *testing.T) {
	e := newEnv(t)
	sc, leader, _ := statementDay(t, e)
	// A line of no order and money out of an account: the supplier's
	// payable held for a settlement, the leader's commission released.
	moved := func(event tuango.LedgerEvent, from, to string) string {
		s := &tuango.LedgerSet{ID: "lgs_" + strings.TrimPrefix(newKey(), "key-"), Event: event, Key: newKey(), At: e.clock.Now(),
			Transfers: []tuango.Transfer{{Account: from, AmountFen: -100}, {Account: to, AmountFen: 100}}}
		must(t, e.store.PostLedgerSet(t.Context(), s))
		return s.ID
	}
	for _, c := range []struct {
		phone, path, api string
		set              string
		accounts         []string // the set's rows' account labels, in the set's order
		en               string   // one of them in English
	}{
		{sc.leaderPhone, "/leader/statement", "/api/v1/leader/statement",
			moved(tuango.EventCommissionReleased, tuango.CommissionFrozen(leader.userID), tuango.CommissionAvailable(leader.userID)), []string{"冻结佣金（售后期内）", "可提现佣金"}, "Commission available"},
		{sc.supplierPhone, "/supplier/statement", "/api/v1/supplier/statement",
			moved(tuango.EventSettlementHeld, tuango.SupplierPayable(e.supplierID), tuango.SettlementsPending(e.supplierID)), []string{"应付货款"}, "Payable to you"},
	} {
		t.Run(c.path, func(t *testing.T) {
			b := newBrowser(t, e.srv.URL)
			b.logIn(c.phone, "operator-pass")
			var st statementView
			const from, to = "2026-11-20", "2026-11-30" // not the default period, which the links must not fall back to
			e.login(c.phone).mustDo("GET", c.api+"?from="+from+"&to="+to, nil, 200, &st)
			p := b.get(c.path + "?from=" + from + "&to=" + to)
			closing := "¥" + yuan(tuango.Fen(st.ClosingFen))
			if p.status != 200 || !strings.Contains(p.body, "我的对账单") || !strings.Contains(p.body, `<td id="closing">`+closing+`</td>`) ||
				strings.Count(p.body, sc.orders[0].ID) != 1 || !strings.Contains(p.body, `<label for="from">`) {
				t.Fatalf("page = %d, want the statement closing at %s with its lines:\n%s", p.status, closing, p.body)
			}
			t.Run("lines name accounts and amounts for people", func(t *testing.T) {
				for _, key := range []string{"supplier_payable:", "leader_commission_", "settlements_pending:"} {
					if strings.Contains(p.body, key) {
						t.Errorf("the page shows the ledger key %q", key)
					}
				}
				rows := tableRows(p.body, "statement-lines")
				var set [][]string
				for _, r := range rows {
					if r[len(r)-1] == c.set {
						set = append(set, r)
					}
				}
				if len(set) != len(c.accounts) {
					t.Fatalf("rows of set %s = %q, want %d", c.set, set, len(c.accounts))
				}
				for i, r := range set {
					want := "-¥1.00" // the money out of the first account
					if i > 0 {
						want = "¥1.00"
					}
					if r[2] != c.accounts[i] || r[4] != "" || r[6] != "" || r[7] != want {
						t.Errorf("row %q: want account %q, no line number (about no order line), no units (money alone), amount %s", r, c.accounts[i], want)
					}
				}
				for _, r := range rows {
					if r[4] == "0" {
						t.Errorf("row %q shows line number 0", r)
					}
				}
				en := b.get(c.path + "?lang=en&from=" + from + "&to=" + to)
				if !strings.Contains(en.body, c.en) {
					t.Errorf("the English page lacks the account's name:\n%s", en.body)
				}
				// The language switch keeps the period asked for.
				if sw := en.langLink(); !strings.HasPrefix(sw, c.path+"?") || !strings.Contains(sw, "from="+from) || !strings.Contains(sw, "to="+to) || !strings.Contains(sw, "lang=zh") {
					t.Errorf("the language switch = %q, want the period %s to %s kept, in Chinese", sw, from, to)
				}
				b.get(c.path + "?lang=zh")
			})
			if en := b.get(c.path + "?lang=en"); !strings.Contains(en.body, "Closing balance") || !strings.Contains(en.body, "pickup completed") {
				t.Errorf("the English page lacks its words:\n%s", en.body)
			}
			apiCSV := e.login(c.phone).do("GET", c.api+"?from="+from+"&to="+to+"&format=csv", nil)
			links := p.links(c.path + "?from=")
			if len(links) != 3 {
				t.Fatalf("statement links = %q, want CSV, XLSX and print", links)
			}
			for i, ext := range []string{"csv", "xlsx"} {
				d := b.get(links[i])
				if d.status != 200 || !strings.Contains(d.header.Get("Content-Disposition"), "attachment") || !strings.Contains(d.header.Get("Content-Disposition"), from+"-"+to+"."+ext) {
					t.Fatalf("GET %s = %d %q, want the page's period %s to %s", links[i], d.status, d.header.Get("Content-Disposition"), from, to)
				}
				var rows [][]string
				if ext == "csv" {
					rows = csvRows(t, []byte(d.body))
				} else {
					rows = xlsxRows(t, []byte(d.body))
				}
				if want := csvRows(t, apiCSV.body); !reflect.DeepEqual(rows, want) {
					t.Errorf("%s rows = %q, want the API's %q", links[i], rows, want)
				}
			}
			// In English: the browser keeps the ?lang=en chosen above.
			if pr := b.get(links[2]); pr.status != 200 || !strings.Contains(pr.body, closing) || !strings.Contains(pr.body, "Statement "+from+" to "+to) {
				t.Errorf("print view (%s) = %d, want the period %s to %s closing at %s:\n%s", links[2], pr.status, from, to, closing, pr.body)
			}
			bad := b.get(c.path + "?lang=zh&from=2026-11-30&to=2026-11-01")
			if bad.status != 400 || !strings.Contains(bad.body, "开始日期不晚于结束日期") || !strings.Contains(bad.body, `id="from" name="from" type="date" value="2026-11-30" aria-invalid="true"`) {
				t.Errorf("a bad period = %d, want 400 with the message on the form:\n%s", bad.status, bad.body)
			}
		})
	}
	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.supplierPhone, "operator-pass")
	if p := b.get("/leader/statement"); p.status != 403 {
		t.Errorf("a supplier on the leader's statement = %d, want 403", p.status)
	}
	if r := leader.do("GET", "/api/v1/supplier/statement", nil); r.status != 403 {
		t.Errorf("a leader on the supplier's statement = %d, want 403", r.status)
	}
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td>(.*?)</td>`)
)

// tableRows are the body rows of the page's table with id, each its cells'
// text (HTML entities unescaped).
func tableRows(body, id string) [][]string {
	i := strings.Index(body, `<table id="`+id+`"`)
	if i < 0 {
		return nil
	}
	table := body[i:]
	table = table[:strings.Index(table, "</table>")]
	var rows [][]string
	for _, m := range rowRE.FindAllStringSubmatch(table, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(m[1], -1) {
			cells = append(cells, html.UnescapeString(c[1]))
		}
		if cells != nil {
			rows = append(rows, cells)
		}
	}
	return rows
}

// statementSeesOnlyItsOwn is the foreign-id case of a statement route: a
// transfer on side B's account and one on side A's are posted; A's
// statement, asked with B's id, shows A's and names nothing of B's.
func statementSeesOnlyItsOwn(t *testing.T, w *twoSides, path string, get func(string) (int, []byte)) {
	t.Helper()
	ctx := t.Context()
	e := w.e
	prd, err := e.store.FindProductByID(ctx, w.productB)
	must(t, err)
	pp, err := e.store.FindPickupPointByID(ctx, w.pointB)
	must(t, err)
	leaderA := w.leaderA.userID
	mine, theirs, idB := tuango.SupplierPayable(e.supplierID), tuango.SupplierPayable(prd.SupplierID), prd.SupplierID
	if strings.HasPrefix(path, "/leader") || strings.HasPrefix(path, "/api/v1/leader") {
		mine, theirs, idB = tuango.CommissionFrozen(leaderA), tuango.CommissionFrozen(pp.LeaderID), pp.LeaderID
	}
	set := func(account, order string) string {
		s := &tuango.LedgerSet{ID: "lgs_" + strings.TrimPrefix(newKey(), "key-"), Event: "statement_test", Key: newKey(), OrderID: order, At: e.clock.Now(),
			Transfers: []tuango.Transfer{{Account: account, AmountFen: 7}, {Account: tuango.AccountPlatformRevenue, AmountFen: -7}}}
		must(t, e.store.PostLedgerSet(ctx, s))
		return s.ID
	}
	theirSet, mySet := set(theirs, w.orderB), set(mine, "")
	for _, q := range []string{"", "?supplier_id=" + idB, "?leader_id=" + idB, "?party_id=" + idB} {
		status, body := get(path + q)
		body = langSwitchRE.ReplaceAll(body, nil)
		if status != 200 || !strings.Contains(string(body), mySet) || strings.Contains(string(body), theirSet) || strings.Contains(string(body), idB) {
			t.Errorf("GET %s%s = %d, want its own transfer %s and none of %s's:\n%s", path, q, status, mySet, idB, body)
		}
		w.namesNone(t, path, body)
	}
}

// statementCase is statementSeesOnlyItsOwn through the API (page false)
// or the page, for foreignCases.
func statementCase(path string, onPage bool) func(t *testing.T, w *twoSides) {
	return func(t *testing.T, w *twoSides) {
		leader := strings.Contains(path, "leader")
		statementSeesOnlyItsOwn(t, w, path, func(p string) (int, []byte) {
			switch {
			case onPage && leader:
				r := w.leaderAPage.get(p)
				return r.status, []byte(r.body)
			case onPage:
				r := w.supplierAPage.get(p)
				return r.status, []byte(r.body)
			case leader:
				r := w.leaderA.do("GET", p, nil)
				return r.status, r.body
			}
			r := w.supplierA.do("GET", p, nil)
			return r.status, r.body
		})
	}
}
