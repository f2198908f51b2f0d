package web

import (
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/types"
)

// WAF modes: off, detect (rules are evaluated and matches logged, nothing
// is refused) and block (a request whose anomaly score reaches the Core
// Rule Set's threshold is refused with 403).
const (
	WAFOff    = "off"
	WAFDetect = "detect"
	WAFBlock  = "block"
)

// wafExclusions are tuango's tuning of the Core Rule Set at paranoia level
// 1, each for a false positive on tuango's own traffic (docs/security.md,
// "Web application firewall"):
//   - the API changes objects with PUT, PATCH and DELETE, which the CRS's
//     default allowed methods (GET HEAD POST OPTIONS) refuse (911100);
//   - nodes are reached by IP address: the demo at 127.0.0.1, balancers'
//     health checks at the node's address (920350, "Host header is a
//     numeric IP address");
//   - a webhook's URL is a URL, possibly by IP address, which the RFI and
//     SSRF rules (931100, 934110) take for an attack; tuango checks that
//     URL itself (scheme, no private address unless allowed, again when it
//     dials), so those two rules skip that one field of the webhook forms.
const wafExclusions = `
SecAction "id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
SecRule REQUEST_FILENAME "@rx ^/(?:api/v1/)?admin/webhooks$" "id:1001,phase:1,pass,t:none,nolog,ctl:ruleRemoveTargetById=931100;ARGS:json.url,ctl:ruleRemoveTargetById=934110;ARGS:json.url,ctl:ruleRemoveTargetById=931100;ARGS:url,ctl:ruleRemoveTargetById=934110;ARGS:url"
`

const wafAfterRules = `
SecRuleRemoveById 920350
`

// newWAF builds Coraza with the OWASP Core Rule Set (paranoia level 1, the
// CRS's default) in mode; nil when mode is off. Only requests are
// inspected (phases 1 and 2): tuango's answers carry no data a response
// rule would catch that its own handlers do not already keep out.
func newWAF(mode string, log *slog.Logger) (coraza.WAF, error) {
	engine := ""
	switch mode {
	case "", WAFOff:
		return nil, nil
	case WAFDetect:
		engine = "DetectionOnly"
	case WAFBlock:
		engine = "On"
	default:
		return nil, fmt.Errorf("WAF mode %q: want off, detect or block", mode)
	}
	cfg := coraza.NewWAFConfig().WithRootFS(coreruleset.FS).
		WithDirectives("Include @coraza.conf-recommended").
		WithDirectives("Include @crs-setup.conf.example").
		WithDirectives("SecRuleEngine " + engine).
		WithDirectives("SecResponseBodyAccess Off").
		WithDirectives("SecAuditEngine Off").
		WithDirectives(wafExclusions).
		WithDirectives("Include @owasp_crs/*.conf").
		WithDirectives(wafAfterRules).
		WithErrorCallback(func(mr types.MatchedRule) {
			if mr.Rule().ID() == 949110 || mr.Rule().ID() == 980170 { // the score totals: the rules matched are logged each
				return
			}
			log.Warn("waf match", "rule", mr.Rule().ID(), "msg", mr.Message(), "data", mr.Data(), "uri", mr.URI(), "client", mr.ClientIPAddress(), "request_id", mr.TransactionID())
		})
	w, err := coraza.NewWAF(cfg)
	if err != nil {
		return nil, fmt.Errorf("web application firewall: %w", err)
	}
	return w, nil
}

// inspect runs the WAF's request phases on r. It returns the interruption,
// if the request is to be refused, and done, to be called once the handler
// has finished: r's body is then read from the transaction's buffer.
func inspect(w coraza.WAF, r *http.Request, src source) (it *types.Interruption, done func(), err error) {
	tx := w.NewTransactionWithID(requestID(r.Context()))
	done = func() {
		tx.ProcessLogging()
		tx.Close()
	}
	it, err = inspectTx(tx, r, src)
	return it, done, err
}

func inspectTx(tx types.Transaction, r *http.Request, src source) (*types.Interruption, error) {
	if tx.IsRuleEngineOff() {
		return nil, nil
	}
	_, port, _ := net.SplitHostPort(r.RemoteAddr)
	p, _ := strconv.Atoi(port)
	tx.ProcessConnection(src.text, p, "", 0)
	tx.ProcessURI(r.URL.String(), r.Method, r.Proto)
	for k, vs := range r.Header {
		for _, v := range vs {
			tx.AddRequestHeader(k, v)
		}
	}
	if r.Host != "" {
		tx.AddRequestHeader("Host", r.Host) // net/http moves Host out of the headers
		tx.SetServerName(r.Host)
	}
	for _, te := range r.TransferEncoding {
		tx.AddRequestHeader("Transfer-Encoding", te)
	}
	if it := tx.ProcessRequestHeaders(); it != nil {
		return it, nil
	}
	if tx.IsRequestBodyAccessible() && r.Body != nil && r.Body != http.NoBody {
		it, _, err := tx.ReadRequestBodyFrom(r.Body)
		if err != nil {
			return nil, fmt.Errorf("waf: read the request body: %w", err)
		}
		if it != nil {
			return it, nil
		}
		rest, err := tx.RequestBodyReader()
		if err != nil {
			return nil, fmt.Errorf("waf: reread the request body: %w", err)
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(rest, r.Body), r.Body}
	}
	return tx.ProcessRequestBody()
}

// sparedByWAF reports whether r is the placing of an order in the shape
// the order's own positive model checks whole, which the WAF then does not
// inspect. The Core Rule Set is a negative model: it looks for attacks in
// input whose shape it does not know, and on two cores it costs about 2 ms
// of CPU per order request (BenchmarkOrderPathGuard), several times the
// order itself, so with it a flash sale is capped near a thousand orders a
// second. The placing of an order needs no such guess: its body is decoded
// strictly (unknown fields, a second value, a wrong type are refused), and
// every value in it is an id of at most 64 letters, digits, '_' and '-' or
// a quantity from 1 to MaxQuantity (PlaceOrderRequest.Validate), checked
// before anything is read or written; the Idempotency-Key is at most 255
// printable ASCII characters, and it and the session token only reach the
// database as bound parameters (the token hashed). A request to that route
// with a query string or a body that is not declared JSON is not in that
// shape and is inspected like any other. Everything else, /checkout (the
// page's form) and the payment included, is inspected.
// Config.WAFInspectOrders (serve --waf-inspect-orders) inspects it too.
func sparedByWAF(r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/orders" || r.URL.RawQuery != "" || r.URL.RawPath != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}
