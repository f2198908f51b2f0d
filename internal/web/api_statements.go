package web

import (
	"net/http"
	"strconv"
	"time"

	"tuango/internal/tuango"
)

// The statements of a supplier and a leader: GET
// /api/v1/{supplier,leader}/statement?from=&to=[&format=csv|xlsx].

type statementLineView struct {
	At        time.Time `json:"at"`
	Event     string    `json:"event"`
	Account   string    `json:"account"`
	OrderID   string    `json:"order_id"`
	LineNo    int       `json:"line_no"`
	Title     string    `json:"title"`
	Units     int       `json:"units"`
	AmountFen int64     `json:"amount_fen"`
	SetID     string    `json:"set_id"`
	RefundID  string    `json:"refund_id,omitempty"`
}

type supplierSummaryView struct {
	UnitsDelivered int   `json:"units_delivered"`
	CostFen        int64 `json:"cost_fen"`
	RefundedUnits  int   `json:"refunded_units"`
	DeductionsFen  int64 `json:"deductions_fen"`
	PayableFen     int64 `json:"payable_fen"`
	PaidOutFen     int64 `json:"paid_out_fen"`
	BalanceFen     int64 `json:"balance_fen"`
}

type leaderSummaryView struct {
	OrdersPickedUp int   `json:"orders_picked_up"`
	EarnedFen      int64 `json:"earned_fen"`
	ReleasedFen    int64 `json:"released_fen"`
	ReversedFen    int64 `json:"reversed_fen"`
	WithdrawnFen   int64 `json:"withdrawn_fen"`
	BalanceFen     int64 `json:"balance_fen"`
}

type statementView struct {
	Party        string               `json:"party"`
	PartyID      string               `json:"party_id"`
	From         string               `json:"from"`
	To           string               `json:"to"`
	TimeZone     string               `json:"time_zone"`
	OpeningFen   int64                `json:"opening_fen"`
	Lines        []statementLineView  `json:"lines"`
	ClosingFen   int64                `json:"closing_fen"`
	AvailableFen int64                `json:"available_fen"`
	FrozenFen    int64                `json:"frozen_fen"`
	Supplier     *supplierSummaryView `json:"supplier_summary,omitempty"`
	Leader       *leaderSummaryView   `json:"leader_summary,omitempty"`
}

func viewStatement(st *tuango.Statement) statementView {
	v := statementView{Party: string(st.Party), PartyID: st.PartyID, From: st.From, To: st.To, TimeZone: tuango.StatementZone,
		OpeningFen: int64(st.OpeningFen), ClosingFen: int64(st.ClosingFen), AvailableFen: int64(st.AvailableFen), FrozenFen: int64(st.FrozenFen),
		Lines: make([]statementLineView, len(st.Lines))}
	for i, l := range st.Lines {
		v.Lines[i] = statementLineView{At: l.At.UTC(), Event: string(l.Event), Account: l.Account, OrderID: l.OrderID, LineNo: l.LineNo,
			Title: l.Title, Units: l.Units, AmountFen: int64(l.AmountFen), SetID: l.SetID, RefundID: l.RefundID}
	}
	if s := st.Supplier; s != nil {
		v.Supplier = &supplierSummaryView{s.UnitsDelivered, int64(s.CostFen), s.RefundedUnits, int64(s.DeductionsFen), int64(s.PayableFen), int64(s.PaidOutFen), int64(s.BalanceFen)}
	}
	if s := st.Leader; s != nil {
		v.Leader = &leaderSummaryView{s.OrdersPickedUp, int64(s.EarnedFen), int64(s.ReleasedFen), int64(s.ReversedFen), int64(s.WithdrawnFen), int64(s.BalanceFen)}
	}
	return v
}

// statementRows is a statement as a table, for CSV and XLSX: the lines,
// then the opening and closing balances as rows of their own. Its first
// column is Beijing time, as its header says, for the opening and closing
// dates (the period's, in tuango.StatementZone) and the lines' instants
// alike (RFC 3339 with +08:00, so still exact for a machine).
func statementRows(st *tuango.Statement) [][]string {
	rows := [][]string{{"at", "event", "account", "order_id", "line_no", "title", "units", "amount_fen", "set_id", "refund_id"}}
	rows = append(rows, []string{st.From, "opening", "", "", "", "", "", fen(st.OpeningFen), "", ""})
	for _, l := range st.Lines {
		rows = append(rows, []string{l.At.In(shanghai).Format(time.RFC3339Nano), string(l.Event), l.Account, l.OrderID, strconv.Itoa(l.LineNo), l.Title,
			strconv.Itoa(l.Units), fen(l.AmountFen), l.SetID, l.RefundID})
	}
	return append(rows, []string{st.To, "closing", "", "", "", "", "", fen(st.ClosingFen), "", ""})
}

// statementName is a statement's download name.
func statementName(st *tuango.Statement) string {
	return "statement-" + string(st.Party) + "-" + st.From + "-" + st.To
}

func (s *Server) writeStatement(w http.ResponseWriter, r *http.Request, st *tuango.Statement, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, statementName(st), statementRows(st), viewStatement(st))
}

func (s *Server) handleSupplierStatement(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	q := r.URL.Query()
	st, err := s.svc.SupplierStatement(r.Context(), a, q.Get("from"), q.Get("to"))
	s.writeStatement(w, r, st, err)
}

func (s *Server) handleLeaderStatement(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	q := r.URL.Query()
	st, err := s.svc.LeaderStatement(r.Context(), a, q.Get("from"), q.Get("to"))
	s.writeStatement(w, r, st, err)
}
