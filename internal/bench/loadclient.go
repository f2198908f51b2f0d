package bench

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// loadClient sends the measured traffic: the orders and the /healthz
// ceiling. The load generator runs on the server's own two cores, so
// every microsecond it spends per request is one the server does not get.
// It uses fasthttp's HostClient, which reuses its requests, responses and
// buffers, rather than net/http's client (setup and verification, which
// are not measured, still use net/http).
type loadClient struct {
	base string // scheme://host:port
	hc   *fasthttp.HostClient
}

func newLoadClient(base string, conns int) (*loadClient, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bench: %q is not an http:// or https:// URL", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += map[string]string{"http": ":80", "https": ":443"}[u.Scheme]
	}
	return &loadClient{base: strings.TrimSuffix(base, "/"), hc: &fasthttp.HostClient{
		Addr:                     addr,
		IsTLS:                    u.Scheme == "https",
		MaxConns:                 conns + 16,
		MaxConnWaitTimeout:       30 * time.Second,
		MaxIdleConnDuration:      90 * time.Second,
		ReadTimeout:              30 * time.Second,
		WriteTimeout:             30 * time.Second,
		MaxResponseBodySize:      1 << 20,
		NoDefaultUserAgentHeader: true,
	}}, nil
}

// postOrder sends one order and copies the answer's body into buf; it
// returns the status.
func (c *loadClient) postOrder(body []byte, token, key string, buf []byte) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.base + "/api/v1/orders")
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	req.SetBodyRaw(body)
	if err := c.hc.Do(req, resp); err != nil {
		return 0, buf, err
	}
	return resp.StatusCode(), append(buf[:0], resp.Body()...), nil
}

// healthz reports whether GET /healthz answered 200.
func (c *loadClient) healthz() bool {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.base + "/healthz")
	return c.hc.Do(req, resp) == nil && resp.StatusCode() == fasthttp.StatusOK
}

func (c *loadClient) close() { c.hc.CloseIdleConnections() }
