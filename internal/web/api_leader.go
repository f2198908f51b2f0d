package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"

	qrcode "github.com/yeqown/go-qrcode/v2"

	"tuango/internal/tuango"
)

// The leader's API: today's delivery to their point, signing for it, and
// verifying pickup codes; and the customer's pickup code as a QR image.

type deliveryLineView struct {
	DealID    string `json:"deal_id"`
	ProductID string `json:"product_id"`
	Title     string `json:"title"`
	Quantity  int    `json:"quantity"`
}

type deliveryOrderView struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	CustomerName string          `json:"customer_name"`
	Lines        []orderLineView `json:"lines"`
}

type deliveryView struct {
	PickupPointID string              `json:"pickup_point_id"`
	DeliveryDate  string              `json:"delivery_date"`
	Lines         []deliveryLineView  `json:"lines"`
	Orders        []deliveryOrderView `json:"orders"`
}

func viewDelivery(d *tuango.Delivery) deliveryView {
	v := deliveryView{PickupPointID: d.PickupPointID, DeliveryDate: d.DeliveryDate, Lines: []deliveryLineView{}, Orders: []deliveryOrderView{}}
	for _, l := range d.Lines {
		v.Lines = append(v.Lines, deliveryLineView(l))
	}
	for _, o := range d.Orders {
		v.Orders = append(v.Orders, deliveryOrderView{ID: o.Order.ID, Status: string(o.Order.Status), CustomerName: o.CustomerName, Lines: viewOrder(o.Order).Items})
	}
	return v
}

func (s *Server) handleLeaderDelivery(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	d, err := s.svc.LeaderDelivery(r.Context(), a, r.PathValue("date"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeExport(w, r, "pick-list-"+d.PickupPointID+"-"+d.DeliveryDate, pickListRows(d), viewDelivery(d))
}

// pickListRows are the pick list as a table, for CSV and XLSX: per
// customer, their orders, lines and quantities.
func pickListRows(d *tuango.Delivery) [][]string {
	rows := [][]string{{"customer_name", "order_id", "line_no", "deal_id", "title", "quantity"}}
	for _, o := range d.Orders {
		for _, l := range o.Order.Lines {
			rows = append(rows, []string{o.CustomerName, o.Order.ID, strconv.Itoa(l.LineNo), l.DealID, l.Title, strconv.Itoa(l.Quantity)})
		}
	}
	return rows
}

type signRequest struct {
	Lines []signLineRequest `json:"lines"`
}

type signLineRequest struct {
	DealID   string `json:"deal_id"`
	Received int    `json:"received"`
	Damaged  int    `json:"damaged"`
}

type lineRefundView struct {
	OrderID   string     `json:"order_id"`
	LineNo    int        `json:"line_no"`
	Quantity  int        `json:"quantity"`
	AmountFen tuango.Fen `json:"amount_fen"`
}

type signView struct {
	PickupPointID string           `json:"pickup_point_id"`
	DeliveryDate  string           `json:"delivery_date"`
	Refunds       []lineRefundView `json:"refunds"`
}

func viewSign(res *tuango.SignResult) signView {
	v := signView{PickupPointID: res.PickupPointID, DeliveryDate: res.DeliveryDate, Refunds: []lineRefundView{}}
	for _, r := range res.Refunds {
		v.Refunds = append(v.Refunds, lineRefundView(r))
	}
	return v
}

func (s *Server) handleLeaderSign(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	body, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in signRequest
	if err := decodeBytes(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	req := tuango.SignRequest{DeliveryDate: r.PathValue("date"), Idem: idem}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, tuango.SignLine(l))
	}
	ans, err := s.svc.SignDelivery(r.Context(), a, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusOK, ans, viewSign)
}

type pickupRequest struct {
	Code string `json:"code"`
}

func (s *Server) handleLeaderPickup(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	body, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in pickupRequest
	if err := decodeBytes(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.svc.VerifyPickup(r.Context(), a, in.Code, idem)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusOK, ans, viewOrder)
}

func (s *Server) handlePickupCodePNG(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	img, err := s.pickupCodePNG(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writePNG(w, img)
}

// pickupCodePNG is the QR image of an order's pickup code, for its owner
// only: the API's (bearer token) and the order page's (session cookie).
func (s *Server) pickupCodePNG(ctx context.Context, a tuango.Actor, orderID string) ([]byte, error) {
	o, err := s.svc.GetOrder(ctx, a, orderID)
	if err == nil && o.PickupCode == "" {
		err = tuango.Errorf(tuango.CodeNotFound, "this order has no pickup code: it gets one when it is paid, and only its owner sees it")
	}
	if err != nil {
		return nil, err
	}
	return qrPNG(o.PickupCode)
}

func writePNG(w http.ResponseWriter, img []byte) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(img)
}

// qrPNG draws text as a QR code, 8 pixels a module with a quiet zone of
// four modules.
func qrPNG(text string) ([]byte, error) {
	qr, err := qrcode.New(text)
	if err != nil {
		return nil, err
	}
	var pw pngWriter
	if err := qr.Save(&pw); err != nil {
		return nil, err
	}
	return pw.buf.Bytes(), nil
}

type pngWriter struct{ buf bytes.Buffer }

func (p *pngWriter) Write(mat qrcode.Matrix) error {
	const scale, quiet = 8, 4
	size := (mat.Width() + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	mat.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if !v.IsSet() {
			return
		}
		for dy := range scale {
			for dx := range scale {
				img.SetGray((x+quiet)*scale+dx, (y+quiet)*scale+dy, color.Gray{})
			}
		}
	})
	return png.Encode(&p.buf, img)
}

func (p *pngWriter) Close() error { return nil }
