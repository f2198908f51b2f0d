package web

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// stallProxy forwards TCP to a database until stalled; then it goes on
// accepting and reading but never answers, as a database behind a dead
// network link does.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

func (p *stallProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		if p.stalled.Load() {
			go io.Copy(io.Discard, c)
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(up)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies until the proxy stalls, then swallows what comes.
func (p *stallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !p.stalled.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

func (p *stallProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *stallProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// With PostgreSQL behind a link that stops answering (no error, just
// silence), every page still answers within a second, degraded.
func TestPagesDegradeWhenTheDatabaseHangs(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips without TUANGO_TEST_POSTGRES_URL
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	e := newEnvAt(t, u.String())
	deal := e.newDeal(10, 5, 1290)
	b := shopper(e, deal)
	proxy.stalled.Store(true)
	e.clock.Advance(2 * tuango.SessionCacheTTL)
	for _, path := range []string{"/", "/cart", "/orders", "/deals/" + deal, "/admin"} {
		p := b.get(path)
		if p.status != 503 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "服务降级") || p.took > time.Second {
			t.Errorf("GET %s with the database silent = %d (Retry-After %q) in %v", path, p.status, p.header.Get("Retry-After"), p.took)
		}
	}
}
