package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cluster is the nodes of one run. The first runs `tuango demo` on fresh
// data and seeds it; the others run `tuango serve` on the same PostgreSQL
// database, as the fault test's nodes do (internal/chaos). SQLite has one
// writer in one process, so it has one node.
type cluster struct {
	nodes []*server
}

// startCluster starts n nodes with the options o, one after the other, so
// that the demo data is seeded exactly once before the others start.
func startCluster(ctx context.Context, o serverOptions, n int) (*cluster, error) {
	if n > 1 {
		o.nodeID = "bench-n1"
	}
	first, err := startServer(ctx, o)
	if err != nil {
		return nil, err // startServer cleaned up after itself
	}
	c := &cluster{nodes: []*server{first}}
	for i := 2; i <= n; i++ {
		oi := o
		// Only the first node is profiled: its profile is the one copied.
		oi.join, oi.nodeID, oi.profile = first.pgURL, fmt.Sprintf("bench-n%d", i), false
		s, err := startServer(ctx, oi)
		if err != nil {
			c.stop()
			return nil, fmt.Errorf("bench: node %d: %w", i, err)
		}
		c.nodes = append(c.nodes, s)
	}
	return c, nil
}

// first is the node that seeded the data and owns the database.
func (c *cluster) first() *server { return c.nodes[0] }

func (c *cluster) urls() []string {
	urls := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		urls[i] = s.url
	}
	return urls
}

// shutdown stops every node with SIGTERM, all at once, and waits for them.
func (c *cluster) shutdown() {
	var wg sync.WaitGroup
	for _, s := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); s.shutdown() }()
	}
	wg.Wait()
}

// stop shuts every node down, then removes the data: the first node's
// database goes last, once no other node uses it.
func (c *cluster) stop() {
	c.shutdown()
	for _, s := range c.nodes[1:] {
		s.stop()
	}
	c.first().stop()
}

// logs is the end of every node's stderr, for an error message.
func (c *cluster) logs() string {
	if len(c.nodes) == 1 {
		return c.first().stderr.String()
	}
	var b strings.Builder
	for i, s := range c.nodes {
		fmt.Fprintf(&b, "node %d (%s):\n%s\n", i+1, s.url, s.stderr)
	}
	return strings.TrimSpace(b.String())
}

// NodeRun is what one node did over a run's flash phase.
type NodeRun struct {
	URL string `json:"url"`
	// Batches is how many group-commit transactions the node began, and
	// BatchedOrders how many orders they carried (its
	// tuango_order_batch_size histogram, read before and after).
	Batches       int `json:"batches"`
	BatchedOrders int `json:"batched_orders"`
	// BatchesPerSec is Batches over the sale: from the first order sent
	// to the last acknowledged.
	BatchesPerSec float64 `json:"batches_per_sec"`
	MeanBatch     float64 `json:"mean_batch_size"`
	CPUSeconds    float64 `json:"cpu_seconds"`
}

// batchCounters are a node's group-commit counters at one moment.
type batchCounters struct {
	batches, orders float64
}

// readBatchCounters reads the count and sum of tuango_order_batch_size
// from a node's /metrics.
func readBatchCounters(ctx context.Context, hc *http.Client, base string) (batchCounters, error) {
	var bc batchCounters
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return bc, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return bc, fmt.Errorf("bench: read %s/metrics: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return bc, fmt.Errorf("bench: GET %s/metrics = %d", base, resp.StatusCode)
	}
	return parseBatchCounters(bufio.NewScanner(resp.Body))
}

// parseBatchCounters finds the batch histogram's _count and _sum in the
// Prometheus text format.
func parseBatchCounters(sc *bufio.Scanner) (batchCounters, error) {
	var bc batchCounters
	found := 0
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var into *float64
		switch name {
		case "tuango_order_batch_size_count":
			into = &bc.batches
		case "tuango_order_batch_size_sum":
			into = &bc.orders
		default:
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return bc, fmt.Errorf("bench: metrics: %s %q: %w", name, value, err)
		}
		*into = v
		found++
	}
	if err := sc.Err(); err != nil {
		return bc, err
	}
	if found != 2 {
		return bc, fmt.Errorf("bench: metrics: no tuango_order_batch_size histogram")
	}
	return bc, nil
}

// batchMeter reads every node's batch counters before and after the flash
// phase.
type batchMeter struct {
	hc     *http.Client
	urls   []string
	before []batchCounters
}

func startBatchMeter(ctx context.Context, urls []string) (*batchMeter, error) {
	m := &batchMeter{hc: &http.Client{Timeout: 5 * time.Second}, urls: urls}
	for _, u := range urls {
		bc, err := readBatchCounters(ctx, m.hc, u)
		if err != nil {
			return nil, err
		}
		m.before = append(m.before, bc)
	}
	return m, nil
}

// stop returns each node's batches over the sale, which lasted sale.
func (m *batchMeter) stop(ctx context.Context, sale time.Duration) ([]NodeRun, error) {
	defer m.hc.CloseIdleConnections()
	out := make([]NodeRun, len(m.urls))
	for i, u := range m.urls {
		after, err := readBatchCounters(ctx, m.hc, u)
		if err != nil {
			return nil, err
		}
		n := NodeRun{URL: u, Batches: int(after.batches - m.before[i].batches), BatchedOrders: int(after.orders - m.before[i].orders)}
		n.BatchesPerSec = Rate(n.Batches, sale)
		n.MeanBatch = Ratio(float64(n.BatchedOrders), float64(n.Batches))
		out[i] = n
	}
	return out, nil
}
