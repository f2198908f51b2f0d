package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"tuango/internal/auth"
)

// api is a small JSON client of tuango's HTTP API.
type api struct {
	base string
	hc   *http.Client
}

// newTransport returns a keep-alive transport that holds an idle
// connection for each of conns workers, so that no request of the
// measurement pays for a connection.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		WriteBufferSize:     4 << 10,
		ReadBufferSize:      8 << 10,
	}
}

func newAPI(base string, conns int) *api {
	return &api{base: base, hc: &http.Client{Transport: newTransport(conns), Timeout: 30 * time.Second}}
}

func (a *api) close() { a.hc.CloseIdleConnections() }

// apiError is a response with an unexpected status.
type apiError struct {
	method, path string
	status       int
	code         string
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s = %d %s", e.method, e.path, e.status, e.body)
}

// call sends body (if any) as JSON and decodes the response into out when
// the status is want.
func (a *api) call(ctx context.Context, method, path, token string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		var p struct{ Code string }
		json.Unmarshal(b, &p)
		if len(b) > 300 {
			b = b[:300]
		}
		return &apiError{method: method, path: path, status: resp.StatusCode, code: p.Code, body: string(bytes.TrimSpace(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

type session struct {
	Token string `json:"token"`
	User  struct {
		ID string `json:"id"`
	} `json:"user"`
}

// login logs phone in; if the account does not exist and register is set,
// it registers it instead. Setup is not measured, so a 5xx or a broken
// connection is tried again, three times at most.
func (a *api) login(ctx context.Context, phone, password string, register bool) (string, error) {
	var s session
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
		}
		err = a.call(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"phone": phone, "password": password}, http.StatusOK, &s)
		if e, ok := err.(*apiError); ok && register && e.status == http.StatusUnauthorized {
			var sent struct {
				SandboxCode string `json:"sandbox_code"`
			}
			// Registering needs the code sent to the phone: the sandbox
			// SMS sender (the demo's) shows it in the answer.
			if err = a.call(ctx, "POST", "/api/v1/auth/codes", "", map[string]string{"phone": phone, "purpose": "register"}, http.StatusAccepted, &sent); err == nil {
				err = a.call(ctx, "POST", "/api/v1/auth/register", "",
					map[string]string{"phone": phone, "password": password, "name": "bench " + phone[7:], "code": sent.SandboxCode}, http.StatusCreated, &s)
			}
		}
		if e, ok := err.(*apiError); err == nil || ctx.Err() != nil || (ok && e.status < 500) {
			break
		}
	}
	return s.Token, err
}

// loginStaff logs in an operator with the second factor computed from
// its TOTP secret; a code already used (another login in the same 30 s)
// is retried at the next step.
func (a *api) loginStaff(ctx context.Context, phone, password, secret string) (string, error) {
	var s session
	var err error
	for attempt := range 3 {
		body := map[string]string{"phone": phone, "password": password}
		if secret != "" {
			code, cerr := (auth.TOTP{}).Code(secret, time.Now())
			if cerr != nil {
				return "", fmt.Errorf("TOTP secret: %w", cerr)
			}
			body["totp"] = code
		}
		err = a.call(ctx, "POST", "/api/v1/auth/login", "", body, http.StatusOK, &s)
		e, ok := err.(*apiError)
		if err == nil || !ok || e.status != http.StatusUnauthorized || attempt == 2 {
			break
		}
		select { // wait for the next time step
		case <-time.After(time.Until(time.Now().Truncate(30 * time.Second).Add(30 * time.Second))):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return s.Token, err
}

type pickupPoint struct {
	ID     string `json:"id"`
	CityID string `json:"city_id"`
	Active bool   `json:"active"`
}

// Deal is a deal as an operator sees it.
type Deal struct {
	ID               string `json:"id"`
	ProductID        string `json:"product_id"`
	CityID           string `json:"city_id"`
	Stock            int    `json:"stock"`
	Reserved         int    `json:"reserved"`
	StockRemaining   int    `json:"stock_remaining"`
	LimitPerCustomer int    `json:"limit_per_customer"`
}

// createFlashDeal creates a deal with stock units and a limit per
// customer, on sale now, in the city of the first open pickup point, and
// returns it with the city's open pickup points.
func (a *api) createFlashDeal(ctx context.Context, opToken string, stock, limit int) (*Deal, []string, error) {
	var pps struct{ Items []pickupPoint }
	if err := a.call(ctx, "GET", "/api/v1/pickup-points", "", nil, http.StatusOK, &pps); err != nil {
		return nil, nil, err
	}
	if len(pps.Items) == 0 {
		return nil, nil, fmt.Errorf("the server has no pickup points; start it with demo data")
	}
	city := pps.Items[0].CityID
	var ppIDs []string
	for _, p := range pps.Items {
		if p.CityID == city && p.Active {
			ppIDs = append(ppIDs, p.ID)
		}
	}
	var deals struct{ Items []Deal }
	if err := a.call(ctx, "GET", "/api/v1/deals?pickup_point_id="+ppIDs[0], "", nil, http.StatusOK, &deals); err != nil {
		return nil, nil, err
	}
	if len(deals.Items) == 0 {
		return nil, nil, fmt.Errorf("no live deal at pickup point %s to borrow a product from", ppIDs[0])
	}
	now := time.Now().UTC()
	var d Deal
	err := a.call(ctx, "POST", "/api/v1/admin/deals", opToken, map[string]any{
		"product_id": deals.Items[0].ProductID, "city_id": city, "title": "【秒杀】bench flash deal",
		"price_fen": 990, "list_price_fen": 1990, "stock": stock, "limit_per_customer": limit,
		"sale_starts_at": now.Add(-time.Minute).Format(time.RFC3339), "sale_ends_at": now.Add(3 * time.Hour).Format(time.RFC3339),
		// Tomorrow in the demo cities' zone: a UTC date is already today
		// there from 16:00 UTC, when that day's cutoff has run.
		"delivery_date": now.In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format(time.DateOnly),
	}, http.StatusCreated, &d)
	if err != nil {
		return nil, nil, err
	}
	return &d, ppIDs, nil
}

func (a *api) deal(ctx context.Context, opToken, id string) (*Deal, error) {
	var d Deal
	return &d, a.call(ctx, "GET", "/api/v1/admin/deals/"+id, opToken, nil, http.StatusOK, &d)
}
