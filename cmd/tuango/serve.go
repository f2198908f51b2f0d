package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"tuango/internal/demo"
	"tuango/internal/jobs"
	"tuango/internal/metrics"
	"tuango/internal/payment"
	"tuango/internal/sms"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
	"tuango/internal/web"
	"tuango/internal/webhook"
)

const serveHelp = `serve runs tuango on existing data; demo does the same and seeds demo data
on first start (and a fresh day of deals when the old ones have ended).`

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, withDemo bool) error {
	name := "serve"
	if withDemo {
		name = "demo"
	}
	fs := newFlags(name, serveHelp, stderr)
	var sf storeFlags
	var hf hashFlags
	sf.register(fs)
	hf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "HOST:PORT to listen on (port 0 picks a free one)")
	publicURL := fs.String("public-url", "", "the URL customers and the payment provider reach this node at (default http://ADDR)")
	orderTimeout := fs.Duration("order-timeout", tuango.DefaultOrderTimeout, "how long an order may stay unpaid")
	sweep := fs.Duration("sweep-interval", 2*time.Second, "how often the expiry and refund sweeps run (reconciliation runs every 5)")
	pickupWindow := fs.Duration("pickup-window", tuango.DefaultPickupWindow, "how long an arrived order waits for its customer before it becomes unclaimed")
	afterSalesAuto := fs.Int64("after-sales-auto-fen", int64(tuango.DefaultAfterSalesAutoFen), "the largest after-sales refund approved without an operator, in fen (negative: none)")
	reconcileAfter := fs.Duration("reconcile-after", tuango.ReconcileAfter, "how long to wait for a payment notification before asking the provider")
	faults := fs.String("sandbox-faults", "", "sandbox payment faults, such as drop=0.2,duplicate=0.5,delay=2s,bad_signature=0.1")
	payoutFaults := fs.String("payout-faults", "", "payout sandbox faults, such as fail_send=0.5,fail=0.1,delay=2s")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	secure := fs.Bool("secure-cookies", false, "mark session cookies Secure (set when served over HTTPS)")
	nodeID := fs.String("node-id", "", "this node's name in job leases (default host-pid)")
	seed := fs.Int64("seed", 1, "demo data seed (demo only)")
	simulate := fs.Bool("simulate-day", false, "demo only: once serving, play a whole day on the demo data — orders, payments, an early cutoff, dispatch, sign-offs with shortages, pickups, some never collected — so that every list is filled in")
	drainDelay := fs.Duration("drain-delay", 2*time.Second, "on SIGTERM, how long to go on serving with /readyz answering 503 before the listener closes, so that load balancers stop sending first")
	drain := fs.Duration("drain-timeout", 20*time.Second, "on SIGTERM, how long in-flight requests may take to finish once the listener has closed")
	maxConns := fs.Int("db-max-conns", sqlstore.DefaultMaxConns, "PostgreSQL connections per node at most (keep nodes × this under the server's max_connections)")
	batchMax := fs.Int("order-batch-max", 512, "group commit: most orders committed in one transaction (1 turns group commit off)")
	metricsToken := fs.String("metrics-token", "", "if set, /metrics wants Authorization: Bearer TOKEN (leave empty only when the port is reachable from the internal network alone)")
	batchWindow := fs.Duration("order-batch-window", 0, "group commit: how long a batch waits for more orders after the first (0: take what is queued)")
	maxUnpaid := fs.Int("max-unpaid-orders", tuango.DefaultMaxUnpaidOrders, "how many orders awaiting payment one customer may hold at once, against stock hoarding (0: no cap, as load tests with few customers want)")
	webhooksPrivate := fs.Bool("webhooks-allow-private", false, "let webhooks go to loopback and private addresses (tests, or a receiver inside your own network); off, such URLs are refused and deliveries never dial them")
	trustedProxies := fs.String("trusted-proxy", "", "comma-separated addresses or CIDRs of the load balancers whose X-Forwarded-For names the client (default none: the connection's address is the client, for every limit)")
	ids := fs.String("ids", "on", "intrusion detection: on bans a source that probes, scans or stuffs credentials for 4 h (doubling on repeat, up to a week), on every node; off for load tests from one address")
	rateLimit := fs.String("rate-limit", "", "token buckets, NAME=RATE:BURST per second: account (a signed-in user's requests), ip (an anonymous client's), auth (sign-in routes per address); default account=20:60,ip=50:200,auth=20:200 on each node; off for load tests")
	wafMode := fs.String("waf", web.WAFBlock, "web application firewall (Coraza with the OWASP Core Rule Set, paranoia level 1): block, detect (log matches only) or off")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	proxies, err := parsePrefixes(*trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	if *ids != "on" && *ids != "off" {
		return fmt.Errorf("--ids %q: want on or off", *ids)
	}
	limits, err := web.ParseRateLimits(*rateLimit)
	if err != nil {
		return fmt.Errorf("--rate-limit: %w", err)
	}
	if err := web.CheckWAFMode(*wafMode); err != nil {
		return fmt.Errorf("--waf: %w", err)
	}
	fcfg, err := payment.ParseFaults(*faults)
	if err != nil {
		return err
	}
	pcfg, err := payment.ParsePayoutFaults(*payoutFaults)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if *nodeID == "" {
		host, _ := os.Hostname()
		*nodeID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}

	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxConns(*maxConns)
	store := db.Store()
	clock := tuango.SystemClock{}
	hasher := hf.hasher()

	if withDemo {
		if err := seedDemo(ctx, store, hasher, clock.Now(), *seed, stdout); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := *publicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	sandboxKey, err := store.Setting(ctx, "sandbox_api_key", randomHex(32))
	if err != nil {
		return err
	}
	csrfKey, err := store.Setting(ctx, "csrf_key", randomHex(32))
	if err != nil {
		return err
	}
	sandbox := payment.NewSandbox(store, clock, []byte(sandboxKey), base, log)
	sandbox.SetFaults(fcfg)
	svc := tuango.NewService(store, clock, nil, hasher, sandbox, tuango.Config{OrderTimeout: *orderTimeout, BatchMax: *batchMax, BatchWindow: *batchWindow, ReconcileAfter: *reconcileAfter, PickupWindow: *pickupWindow,
		AfterSalesAutoFen: tuango.Fen(*afterSalesAuto), MaxUnpaidOrders: *maxUnpaid, WebhooksAllowPrivate: *webhooksPrivate}, log)
	smsSandbox := sms.NewSandbox(store, clock) // no real SMS provider yet: the sandbox records what it would send
	svc.SetSender(smsSandbox)
	payouts := payment.NewPayoutSandbox(store, clock) // no real payout provider yet: the sandbox keeps its records in sandbox_payouts
	payouts.SetFaults(pcfg)
	svc.SetPayoutProvider(payouts)
	svc.SetWebhookSender(webhook.New(*webhooksPrivate))
	// Data older than the ledger joins it once, before anything is served.
	if n, err := svc.BackfillLedger(ctx); err != nil {
		return fmt.Errorf("bring existing data into the ledger: %w", err)
	} else if n > 0 {
		fmt.Fprintf(stdout, "ledger: brought %d sets of existing data into the ledger\n", n)
	}
	svc.SetTexts(web.NotificationText) // the sender words each message in tuango.SMSLang
	mx := metrics.New()
	svc.SetObserver(mx)
	mx.WatchDB(db, svc, clock)
	mx.WatchTelling(svc)
	srv := web.NewServer(web.Config{Service: svc, Sandbox: sandbox, SMS: smsSandbox, Logger: log, SecureCookies: *secure, CSRFKey: []byte(csrfKey),
		Metrics: mx, MetricsToken: *metricsToken, TrustedProxies: proxies, IDS: *ids == "on", RateLimits: limits, WAF: *wafMode})

	jobCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	runner := jobs.NewRunner(store, clock, *nodeID, log, jobs.Sweeps(svc, *sweep)...)
	runner.SetObserver(mx)
	jobsDone := make(chan struct{})
	go func() { runner.Run(jobCtx); close(jobsDone) }()

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "tuango %s listening on %s (database: %s, node %s)\n", name, base, db.Engine(), *nodeID)
	if withDemo && *simulate {
		go func() {
			if err := simulateDay(jobCtx, svc, sandbox, stdout); err != nil {
				log.Error("simulate-day failed", "err", err)
			}
		}()
	}

	select {
	case err := <-served:
		stopJobs()
		return err
	case <-ctx.Done():
	}
	// Drain: readiness fails at once, but the node goes on serving for the
	// drain delay, because Shutdown closes the listener at once and a
	// balancer that polls /readyz would otherwise see refused connections
	// instead of a node going out of service. Then the listener closes,
	// requests under way finish, and background work stops.
	log.Info("draining", "delay", drainDelay.String(), "timeout", drain.String())
	srv.Drain()
	time.Sleep(*drainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	err = hs.Shutdown(sctx)
	svc.Close()
	stopJobs()
	<-jobsDone
	sandbox.Close()
	fmt.Fprintln(stdout, "tuango stopped")
	return err
}

func seedDemo(ctx context.Context, store tuango.Store, hasher tuango.PasswordHasher, now time.Time, seed int64, stdout io.Writer) error {
	seeded, err := demo.Seeded(ctx, store)
	if err != nil {
		return err
	}
	if !seeded {
		sum, err := demo.Seed(ctx, store, hasher, now, seed)
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		fmt.Fprintf(stdout, "seeded demo data: 长沙 with %d warehouses, %d routes, %d pickup points, %d suppliers, %d products, %d deals (%d flash), %d customers; 武汉 (cutoff 22:00) with %d pickup points and %d deals\n",
			sum.Warehouses, sum.Routes, sum.PickupPoints, sum.Suppliers, sum.Products, sum.Deals, sum.FlashDeals, sum.Customers, sum.SecondCityPoints, sum.SecondCityDeals)
	} else if n, err := demo.Refresh(ctx, store, now, seed); err != nil {
		return fmt.Errorf("refresh demo deals: %w", err)
	} else if n > 0 {
		fmt.Fprintf(stdout, "the demo deals had ended: put %d new deals on sale\n", n)
	}
	fmt.Fprint(stdout, demoAccounts)
	return nil
}

const demoAccounts = `Demo accounts, all with password tuango-demo:
  operator   13900000001
  customers  13900001001 … 13900001500 (长沙), 13900001501 … 13900001600 (武汉)
  leaders    13900002001 … 13900002060 (长沙), 13900002061 … 13900002072 (武汉)
  suppliers  13900003001 … 13900003020, each bound to its supplier
`

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	// JSON, UTC, and the request id on every line logged in a request.
	return slog.New(web.NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// parsePrefixes reads a comma-separated list of addresses and CIDRs.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
