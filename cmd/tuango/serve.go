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
	"net/netip"
	"os"
	"strings"
	"time"

	"tuango/internal/auth"
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
	var tf httpFlags
	sf.register(fs)
	hf.register(fs)
	tf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "HOST:PORT to listen on (port 0 picks a free one)")
	publicURL := fs.String("public-url", "", "the URL customers and the payment provider reach this node at (default http://ADDR)")
	orderTimeout := fs.Duration("order-timeout", tuango.DefaultOrderTimeout, "how long an order may stay unpaid")
	flashTimeout := fs.Duration("flash-order-timeout", tuango.DefaultFlashOrderTimeout, "how long an order with a line of a flash deal (秒杀) may stay unpaid, so that unpaid orders cannot hoard its stock (never longer than --order-timeout)")
	sweep := fs.Duration("sweep-interval", 2*time.Second, "how often the expiry and refund sweeps run (reconciliation runs every 5)")
	pickupWindow := fs.Duration("pickup-window", tuango.DefaultPickupWindow, "how long an arrived order waits for its customer before it becomes unclaimed")
	afterSalesAuto := fs.Int64("after-sales-auto-fen", int64(tuango.DefaultAfterSalesAutoFen), "the largest after-sales refund approved without an operator, in fen (negative: none)")
	reconcileAfter := fs.Duration("reconcile-after", tuango.ReconcileAfter, "how long to wait for a payment notification before asking the provider")
	faults := fs.String("sandbox-faults", "", "sandbox payment faults, such as drop=0.2,duplicate=0.5,delay=2s,bad_signature=0.1")
	payoutFaults := fs.String("payout-faults", "", "payout sandbox faults, such as fail_send=0.5,fail=0.1,delay=2s")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logRate := fs.Float64("log-requests-per-second", 100, "request log: ordinary requests (not 5xx, not slow) given a line per second at most; past it they are counted, and the next line written says how many were left out (skipped) (0: a line for every request)")
	logSlow := fs.Duration("log-slow", 500*time.Millisecond, "request log: a request slower than this always gets its line (0: none by speed)")
	secure := fs.Bool("secure-cookies", false, "mark the cart, language and form cookies Secure (set when served over HTTPS; on with --tls-cert); the session cookie always is")
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
	sandboxOn := fs.Bool("sandbox", false, "open the sandboxes' switches — payment confirmation, the fault switches, one-time codes shown in the answer (sandbox_code) — as the demo does; never on a deployment with real customers")
	codesPerPhone := fs.Int("codes-per-phone", tuango.DefaultCodesPerPhone, "one-time SMS codes one phone may be sent per hour, besides one a minute (0: no limit, as load tests that register many customers want)")
	codesPerIP := fs.Int("codes-per-ip", tuango.DefaultCodesPerSource, "one-time SMS codes one client address may ask for per hour (0: no limit, as load tests from one machine want)")
	sessionIdle := fs.Duration("session-idle", tuango.SessionIdle, "a customer's, leader's or supplier's session ends after this long unused")
	sessionMax := fs.Duration("session-max", tuango.SessionTTL, "a customer's, leader's or supplier's session ends this long after login, however used")
	staffIdle := fs.Duration("staff-session-idle", tuango.StaffSessionIdle, "an operator's or admin's session ends after this long unused")
	staffMax := fs.Duration("staff-session-max", tuango.StaffSessionTTL, "an operator's or admin's session ends this long after login, however used")
	memLimit := fs.Int("memory-limit-mib", defaultMemoryLimitMiB, "soft memory limit for the Go runtime in MiB, so that a burst of logins (64 MiB per password hash) makes the collector work rather than the heap grow; ignored when GOMEMLIMIT is set (0: none)")
	trustedProxies := fs.String("trusted-proxy", "", "comma-separated addresses or CIDRs of the load balancers whose X-Forwarded-For names the client (default none: the connection's address is the client, for every limit)")
	breakerFailures := fs.Int("breaker-failures", 5, "payment provider circuit breaker: failed calls in a row that open it")
	breakerOpenFor := fs.Duration("breaker-open-for", 10*time.Second, "payment provider circuit breaker: how long it refuses payments at once before probing the provider again")
	paymentTimeout := fs.Duration("payment-timeout", 5*time.Second, "how long one call to the payment provider may take before it counts as failed")
	admitOrders := fs.Int("admit-orders", web.DefaultAdmission.Orders, "admission control: order-path requests (placing, paying) in flight admitted however slow (the floor); up to 4× this while answers stay within --admit-target; beyond, shed with 503. When the class is full and every answer of an --admit-target's interval is late, the floor is lifted to what the node answers within the target (0: no limit)")
	admitPages := fs.Int("admit-pages", web.DefaultAdmission.Pages, "admission control: page requests in flight admitted unless the class is overrun, adapting the same way (0: no limit)")
	admitAPI := fs.Int("admit-api", web.DefaultAdmission.API, "admission control: other API requests in flight admitted unless the class is overrun, adapting the same way (0: no limit)")
	admitTarget := fs.Duration("admit-target", web.DefaultAdmission.Target, "admission control: above each floor, the latency an admitted request should see; slower answers shrink the limits back toward the floors, and below them while a class is overrun")
	admitWait := fs.Duration("admit-wait", web.DefaultAdmission.Wait, "admission control: how long a request may wait for a slot before it is shed with 503 and Retry-After")
	var bf backupFlags
	bf.register(fs)
	var rf replicaFlags
	rf.register(fs)
	dbRead := fs.String("db-read", "", "PostgreSQL connection string for the reads a standby may serve — the deal list, pickup points and storefront — such as host=a,b ... target_session_attrs=prefer-standby; read-only sessions, never written to (default: everything on --db)")
	orderWriteTimeout := fs.Duration("order-write-timeout", 10*time.Second, "how long a customer's order request (place, pay, cancel) may wait for the database before answering 503 with Retry-After (the outcome unknown: a retry with the same Idempotency-Key settles it); 0: no bound")
	probeEvery := fs.Duration("probe-every", tuango.DefaultProbeEvery, "how often this node's status probes read and write the database (3 failures in a row open an incident, 2 successes move it to monitoring)")
	incidentQuiet := fs.Duration("incident-quiet", tuango.DefaultIncidentQuiet, "how long without a failed probe resolves the probes' incident")
	ids := fs.String("ids", "on", "intrusion detection: on bans a source that probes, scans or stuffs credentials for 4 h (doubling on repeat, up to a week), on every node; off for load tests from one address")
	rateLimit := fs.String("rate-limit", "", "token buckets, NAME=RATE:BURST per second: account (a signed-in user's requests), ip (an anonymous client's), auth (sign-in routes per address); default account=20:60,ip=50:200,auth=20:200 on each node; off for load tests")
	wafMode := fs.String("waf", web.WAFBlock, "web application firewall (Coraza with the OWASP Core Rule Set, paranoia level 1): block, detect (log matches only) or off")
	wafOrders := fs.Bool("waf-inspect-orders", false, "the WAF inspects the placing of an order (POST /api/v1/orders) too; by default a request in the order's strictly checked JSON shape is spared, which is most of a flash sale's CPU (docs/security.md)")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *admitOrders < 0 || *admitPages < 0 || *admitAPI < 0 || *admitTarget < 0 || *admitWait < 0 {
		return fmt.Errorf("--admit-orders, --admit-pages, --admit-api, --admit-target and --admit-wait cannot be negative")
	}
	if *logRate < 0 || *logSlow < 0 {
		return fmt.Errorf("--log-requests-per-second and --log-slow cannot be negative")
	}
	if *flashTimeout <= 0 {
		return fmt.Errorf("--flash-order-timeout must be longer than 0 (got %s)", *flashTimeout)
	}
	if *breakerFailures < 1 || *breakerOpenFor <= 0 || *paymentTimeout <= 0 {
		return fmt.Errorf("--breaker-failures must be at least 1, --breaker-open-for and --payment-timeout longer than 0 (got %d, %s, %s)", *breakerFailures, *breakerOpenFor, *paymentTimeout)
	}
	if err := tf.load(); err != nil {
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
	if err := checkSessionFlags(*sessionIdle, *sessionMax, *staffIdle, *staffMax, *codesPerPhone, *codesPerIP); err != nil {
		return err
	}
	setMemoryLimit(getenv, *memLimit, log)
	if *nodeID == "" {
		host, _ := os.Hostname()
		*nodeID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}

	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	stopReplica, err := rf.replicate(ctx, sf.dsn(), log)
	if err != nil {
		return err
	}
	// Litestream stops after the database's own connections are closed.
	defer func() { db.Close(); stopReplica() }()
	db.SetMaxConns(*maxConns)
	store := db.Store()
	var replica *sqlstore.Replica
	if *dbRead != "" {
		if db.Engine() != "postgres" {
			return errors.New("--db-read: a read pool on a standby needs --db on PostgreSQL")
		}
		if replica, err = sqlstore.OpenReplica(*dbRead); err != nil {
			return fmt.Errorf("--db-read: %w", err)
		}
		defer replica.Close()
	}
	clock := tuango.SystemClock{}
	hasher := hf.hasher()

	if withDemo {
		if err := seedDemo(ctx, store, hasher, clock.Now(), *seed, stdout); err != nil {
			return err
		}
		*sandboxOn = true // the demo is the sandbox
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := *publicURL
	if base == "" {
		base = tf.scheme() + ln.Addr().String()
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
	breaker := payment.NewBreaker(sandbox, clock, payment.BreakerConfig{Failures: *breakerFailures, OpenFor: *breakerOpenFor, CallTimeout: *paymentTimeout})
	svc := tuango.NewService(store, clock, nil, hasher, breaker, tuango.Config{OrderTimeout: *orderTimeout, FlashOrderTimeout: *flashTimeout, BatchMax: *batchMax, BatchWindow: *batchWindow, ReconcileAfter: *reconcileAfter, PickupWindow: *pickupWindow,
		AfterSalesAutoFen: tuango.Fen(*afterSalesAuto), MaxUnpaidOrders: *maxUnpaid, WebhooksAllowPrivate: *webhooksPrivate,
		Sessions: tuango.SessionPolicy{Idle: *sessionIdle, Max: *sessionMax}, StaffSessions: tuango.SessionPolicy{Idle: *staffIdle, Max: *staffMax},
		CodesPerPhone: *codesPerPhone, CodesPerSource: *codesPerIP}, log)
	svc.SetSecondFactor(auth.TOTP{})
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
	if replica != nil {
		svc.SetReplica(replica)
	}
	svc.SetTexts(web.NotificationText) // the sender words each message in tuango.SMSLang
	mx := metrics.New()
	svc.SetObserver(mx)
	mx.WatchDB(db, svc, clock)
	monitor := svc.NewStatusMonitor(tuango.StatusConfig{Node: *nodeID, Every: *probeEvery, Quiet: *incidentQuiet})
	mx.WatchTelling(svc)
	mx.WatchBreaker(breaker)
	srv := web.NewServer(web.Config{Service: svc, Sandbox: sandbox, SMS: smsSandbox, Logger: log, SecureCookies: *secure || tf.tls(), CSRFKey: []byte(csrfKey),
		Metrics: mx, MetricsToken: *metricsToken, TrustedProxies: proxies, SandboxControls: *sandboxOn, OrderWriteTimeout: *orderWriteTimeout, Status: monitor, IDS: *ids == "on", RateLimits: limits, WAF: *wafMode, WAFInspectOrders: *wafOrders,
		RequestLog: web.RequestLogConfig{PerSecond: *logRate, Slow: *logSlow},
		Admission:  web.AdmissionConfig{Orders: *admitOrders, Pages: *admitPages, API: *admitAPI, Target: *admitTarget, Wait: *admitWait}})

	jobCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	mx.WatchBackups(store.LastGoodBackupRun) // every node exports the cluster's last good backup and drill
	runner := jobs.NewRunner(store, clock, *nodeID, log, append(jobs.Sweeps(svc, *sweep), bf.sweeps(sf.dsn(), *nodeID, store, clock, log)...)...)
	runner.SetObserver(mx)
	jobsDone := make(chan struct{})
	go func() { runner.Run(jobCtx); close(jobsDone) }()
	go jobs.WatchProvider(jobCtx, svc, *nodeID, 5*time.Second, breaker.Changed(), log)
	probesDone := make(chan struct{})
	go func() { jobs.RunProbes(jobCtx, monitor); close(probesDone) }()

	hs := tf.server(srv)
	served := make(chan error, 1)
	go func() { served <- tf.serve(hs, ln) }()
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
	<-probesDone
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
	if err := demo.EnsureOperatorTOTP(ctx, store); err != nil {
		return fmt.Errorf("demo operator's second factor: %w", err)
	}
	fmt.Fprint(stdout, demoAccounts)
	return nil
}

const demoAccounts = `Demo accounts, all with password tuango-demo:
  operator   13900000001, with an authenticator app (TOTP) secret of ` + demo.OperatorTOTPSecret + `
             (otpauth://totp/tuango:13900000001?secret=` + demo.OperatorTOTPSecret + `&issuer=tuango)
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
