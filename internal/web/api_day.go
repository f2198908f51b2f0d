package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tuango/internal/tuango"
)

// The day after the order: a city's cutoff, the lists it produces, and
// the dispatch of routes.

type cutoffRequest struct {
	CityID       string `json:"city_id"`
	DeliveryDate string `json:"delivery_date"`
}

type cutoffView struct {
	CityID          string `json:"city_id"`
	DeliveryDate    string `json:"delivery_date"`
	ConfirmedOrders int    `json:"confirmed_orders"`
	CancelledOrders int    `json:"cancelled_orders"`
	PurchaseOrders  int    `json:"purchase_orders"`
	ConfirmedUnits  int    `json:"confirmed_units"`
	Early           bool   `json:"early"`
	StartedBy       string `json:"started_by"`
	StartedAt       string `json:"started_at"`
	FinishedAt      string `json:"finished_at"`
}

func viewCutoff(c *tuango.CutoffRun) cutoffView {
	return cutoffView{CityID: c.CityID, DeliveryDate: c.DeliveryDate, ConfirmedOrders: c.ConfirmedOrders, CancelledOrders: c.CancelledOrders,
		PurchaseOrders: c.PurchaseOrders, ConfirmedUnits: c.ConfirmedUnits, Early: c.Early, StartedBy: c.StartedBy,
		StartedAt: formatTime(c.StartedAt), FinishedAt: formatTime(c.FinishedAt)}
}

func (s *Server) handleAdminCutoff(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in cutoffRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.Cutoff(r.Context(), a, in.CityID, in.DeliveryDate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewCutoff(c))
}

func (s *Server) handleAdminGetCutoff(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	c, err := s.svc.GetCutoff(r.Context(), a, r.PathValue("id"), r.PathValue("date"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewCutoff(c))
}

type purchaseOrderLineView struct {
	ProductID   string     `json:"product_id"`
	Title       string     `json:"title"`
	Quantity    int        `json:"quantity"`
	UnitCostFen tuango.Fen `json:"unit_cost_fen"`
	AmountFen   tuango.Fen `json:"amount_fen"`
}

type purchaseOrderView struct {
	ID           string                  `json:"id"`
	SupplierID   string                  `json:"supplier_id"`
	CityID       string                  `json:"city_id"`
	DeliveryDate string                  `json:"delivery_date"`
	WarehouseID  string                  `json:"warehouse_id"`
	Lines        []purchaseOrderLineView `json:"lines"`
	TotalFen     tuango.Fen              `json:"total_fen"`
}

func viewPurchaseOrder(p *tuango.PurchaseOrder) purchaseOrderView {
	v := purchaseOrderView{ID: p.ID, SupplierID: p.SupplierID, CityID: p.CityID, DeliveryDate: p.DeliveryDate, WarehouseID: p.WarehouseID,
		TotalFen: p.TotalFen, Lines: make([]purchaseOrderLineView, 0, len(p.Lines))}
	for _, l := range p.Lines {
		v.Lines = append(v.Lines, purchaseOrderLineView(l))
	}
	return v
}

type sortingLineView struct {
	PickupPointID string `json:"pickup_point_id"`
	ProductID     string `json:"product_id"`
	Title         string `json:"title"`
	Quantity      int    `json:"quantity"`
}

type sortingListView struct {
	WarehouseID string            `json:"warehouse_id"`
	Lines       []sortingLineView `json:"lines"`
}

func viewSortingList(l *tuango.SortingList) sortingListView {
	v := sortingListView{WarehouseID: l.WarehouseID, Lines: make([]sortingLineView, 0, len(l.Lines))}
	for _, x := range l.Lines {
		v.Lines = append(v.Lines, sortingLineView(x))
	}
	return v
}

type productUnitsView struct {
	ProductID string `json:"product_id"`
	Title     string `json:"title"`
	Quantity  int    `json:"quantity"`
}

type manifestStopView struct {
	Seq           int                `json:"seq"`
	PickupPointID string             `json:"pickup_point_id"`
	Orders        int                `json:"orders"`
	Lines         []productUnitsView `json:"lines"`
}

type manifestView struct {
	RouteID string             `json:"route_id"`
	Stops   []manifestStopView `json:"stops"`
}

func viewManifest(m *tuango.Manifest) manifestView {
	v := manifestView{RouteID: m.RouteID, Stops: make([]manifestStopView, 0, len(m.Stops))}
	for _, st := range m.Stops {
		sv := manifestStopView{Seq: st.Seq, PickupPointID: st.PickupPointID, Orders: st.Orders, Lines: make([]productUnitsView, 0, len(st.Lines))}
		for _, l := range st.Lines {
			sv.Lines = append(sv.Lines, productUnitsView(l))
		}
		v.Stops = append(v.Stops, sv)
	}
	return v
}

// dayLists reads the lists named by ?city_id=&date=.
func (s *Server) dayLists(r *http.Request, a tuango.Actor) (*tuango.DayLists, string, error) {
	q := r.URL.Query()
	lists, err := s.svc.ListsFor(r.Context(), a, q.Get("city_id"), q.Get("date"))
	return lists, q.Get("city_id") + "-" + q.Get("date"), err
}

func (s *Server) handleAdminPurchaseOrders(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	lists, name, err := s.dayLists(r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writePurchaseOrders(w, r, lists.PurchaseOrders, "purchase-orders-"+name)
}

func (s *Server) handleSupplierPurchaseOrders(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	date := r.URL.Query().Get("date")
	pos, err := s.svc.SupplierPurchaseOrders(r.Context(), a, date)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writePurchaseOrders(w, r, pos, "purchase-orders-"+date)
}

func (s *Server) writePurchaseOrders(w http.ResponseWriter, r *http.Request, pos []tuango.PurchaseOrder, name string) {
	pg, err := pageList(r, pos, func(p *tuango.PurchaseOrder) string { return p.ID }, viewPurchaseOrder)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, name, purchaseOrderRows(pos), pg)
}

// purchaseOrderRows are purchase orders as a table, for CSV and XLSX.
func purchaseOrderRows(pos []tuango.PurchaseOrder) [][]string {
	rows := [][]string{{"purchase_order_id", "supplier_id", "warehouse_id", "product_id", "title", "quantity", "unit_cost_fen", "amount_fen"}}
	for _, p := range pos {
		for _, l := range p.Lines {
			rows = append(rows, []string{p.ID, p.SupplierID, p.WarehouseID, l.ProductID, l.Title, strconv.Itoa(l.Quantity), fen(l.UnitCostFen), fen(l.AmountFen)})
		}
	}
	return rows
}

func (s *Server) handleAdminSortingLists(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	lists, name, err := s.dayLists(r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, lists.SortingLists, func(l *tuango.SortingList) string { return l.WarehouseID }, viewSortingList)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, "sorting-lists-"+name, sortingListRows(lists.SortingLists), pg)
}

// sortingListRows are sorting lists as a table, for CSV and XLSX.
func sortingListRows(ls []tuango.SortingList) [][]string {
	rows := [][]string{{"warehouse_id", "pickup_point_id", "product_id", "title", "quantity"}}
	for _, l := range ls {
		for _, x := range l.Lines {
			rows = append(rows, []string{l.WarehouseID, x.PickupPointID, x.ProductID, x.Title, strconv.Itoa(x.Quantity)})
		}
	}
	return rows
}

func (s *Server) handleAdminManifests(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	lists, name, err := s.dayLists(r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, lists.Manifests, func(m *tuango.Manifest) string { return m.RouteID }, viewManifest)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, "manifests-"+name, manifestRows(lists.Manifests), pg)
}

// manifestRows are manifests as a table, for CSV and XLSX.
func manifestRows(ms []tuango.Manifest) [][]string {
	rows := [][]string{{"route_id", "seq", "pickup_point_id", "orders", "product_id", "title", "quantity"}}
	for _, m := range ms {
		for _, st := range m.Stops {
			for _, l := range st.Lines {
				rows = append(rows, []string{m.RouteID, strconv.Itoa(st.Seq), st.PickupPointID, strconv.Itoa(st.Orders), l.ProductID, l.Title, strconv.Itoa(l.Quantity)})
			}
		}
	}
	return rows
}

func fen(f tuango.Fen) string { return strconv.FormatInt(int64(f), 10) }

// writeExport answers with v (a page) as JSON, or with rows (the whole
// list) as CSV or XLSX when the query says ?format=csv or ?format=xlsx, as
// a file download.
func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, name string, rows [][]string, v any) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, v)
	default:
		if err := writeTable(w, name, rows, f); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// writeTable writes rows as a CSV or XLSX file download named name; the
// API's exports and the pages' downloads are this one function.
func writeTable(w http.ResponseWriter, name string, rows [][]string, format string) error {
	switch format {
	case "xlsx":
		b, err := xlsxOf(name, rows)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".xlsx"))
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("\ufeff")) // so that spreadsheet programs read the Chinese titles as UTF-8
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
	default:
		return tuango.FieldError("format", "must be json, csv or xlsx")
	}
	return nil
}

type dispatchRequest struct {
	DeliveryDate string `json:"delivery_date"`
}

type dispatchView struct {
	RouteID      string `json:"route_id"`
	DeliveryDate string `json:"delivery_date"`
	Shipped      int    `json:"shipped_orders"`
}

func (s *Server) handleAdminDispatch(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in dispatchRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.Dispatch(r.Context(), a, r.PathValue("id"), in.DeliveryDate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dispatchView{RouteID: r.PathValue("id"), DeliveryDate: in.DeliveryDate, Shipped: n})
}

// xlsxOf writes rows as a one-sheet workbook; cells that are whole numbers
// are written as numbers, so that a spreadsheet sums them.
func xlsxOf(name string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			if n, err := strconv.ParseInt(c, 10, 64); err == nil && i > 0 && !strings.HasPrefix(c, "0") {
				cells[j] = n
			} else {
				cells[j] = c
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return nil, err
		}
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			return nil, fmt.Errorf("xlsx %s: %w", name, err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("xlsx %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

type cityClosureRequest struct {
	Reason string `json:"reason"`
}

type pickupPointClosureRequest struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

type closureView struct {
	ID            string `json:"id,omitempty"`
	CityID        string `json:"city_id,omitempty"`
	PickupPointID string `json:"pickup_point_id,omitempty"`
	From          string `json:"from"`
	To            string `json:"to"`
	Reason        string `json:"reason"`
	ClosedBy      string `json:"closed_by"`
	CreatedAt     string `json:"created_at"`
}

func viewClosure(c *tuango.Closure) closureView {
	return closureView{ID: c.ID, CityID: c.CityID, PickupPointID: c.PickupPointID, From: c.From, To: c.To, Reason: c.Reason,
		ClosedBy: c.ClosedBy, CreatedAt: formatTime(c.CreatedAt)}
}

func (s *Server) handleAdminCloseCity(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in cityClosureRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.CloseCity(r.Context(), a, r.PathValue("id"), r.PathValue("date"), in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewClosure(c))
}

func (s *Server) handleClosePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in pickupPointClosureRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := &tuango.Closure{From: in.From, To: in.To, Reason: in.Reason}
	if err := s.svc.ClosePickupPoint(r.Context(), a, r.PathValue("id"), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewClosure(c))
}

type moveOrdersRequest struct {
	ToPickupPointID string `json:"to_pickup_point_id"`
	DeliveryDate    string `json:"delivery_date"`
}

type moveOrdersView struct {
	FromPickupPointID string `json:"from_pickup_point_id"`
	ToPickupPointID   string `json:"to_pickup_point_id"`
	DeliveryDate      string `json:"delivery_date"`
	Moved             int    `json:"moved_orders"`
}

func (s *Server) handleAdminMoveOrders(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in moveOrdersRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.MoveOrders(r.Context(), a, r.PathValue("id"), in.ToPickupPointID, in.DeliveryDate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, moveOrdersView{FromPickupPointID: r.PathValue("id"), ToPickupPointID: in.ToPickupPointID, DeliveryDate: in.DeliveryDate, Moved: n})
}
