package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium through chromedp: one browser
// per test binary, started on first use, and a fresh browser context (its
// own cookies) per scenario. Controls are found by their accessible name,
// as a person with a screen reader finds them.

const chromiumPath = "/usr/bin/chromium"

var chromium struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
		os.RemoveAll(chromium.dir)
	}
	os.Exit(code)
}

// startChromium starts the shared browser with the flags that keep it
// quiet and self-contained on a CI machine running as root.
func startChromium() {
	chromium.dir, chromium.err = os.MkdirTemp("", "tuango-chromium-")
	if chromium.err != nil {
		return
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(filepath.Join(chromium.dir, "profile")),
		chromedp.Env("TMPDIR="+chromium.dir),
	)
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	chromium.ctx = ctx
	chromium.cancel = func() { cancelBrowser(); cancelAlloc() }
	chromium.err = chromedp.Do(ctx)
}

// tab is one scenario's browser: a new browser context on the shared
// Chromium, with the server it talks to.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // screenshot folder
	n    int
}

// newTab opens a fresh browser context, or skips the test when Chromium is
// not installed.
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Chromium at %s (apt-get install -y chromium); skipping", chromiumPath)
	}
	if os.Getenv("TUANGO_TEST_BROWSER") == "skip" {
		// .ci/run's PostgreSQL pass: the pages are the same on either
		// engine, and the API and form tests of that pass cover the store.
		t.Skip("TUANGO_TEST_BROWSER=skip: the browser tests run once, on the SQLite pass")
	}
	chromium.once.Do(startChromium)
	if chromium.err != nil {
		t.Fatalf("start Chromium: %v", chromium.err)
	}
	ctx, cancel := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	dir := os.Getenv("TUANGO_SCREENSHOTS")
	if dir != "" {
		dir = filepath.Join(dir, t.Name())
	} else {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: ctx, base: base, shot: dir}
	b.do(chromedp.EmulateViewport(360, 740))
	return b
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.location(), err)
	}
}

func (b *tab) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// open navigates to a path of the server.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

// byName finds the controls of a role (button, textbox, link ...) whose
// accessible name is name, through Chromium's accessibility tree.
func byName(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: n.NodeID, AccessibleName: name, Role: role})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

// click clicks the first control of a role with an accessible name and
// waits until the page it leads to has loaded (a mark set on the old page
// is gone).
func (b *tab) click(role, name string) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("window.__tuangoOld = true"))
	if err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Click(role+" "+name, byName(role, name), chromedp.NodeVisible))
	// Evaluating while the page changes fails now and then: ask again.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		loaded, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("window.__tuangoOld === undefined && document.readyState === 'complete'"))
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after clicking %s %q at %s: no new page (%v)", role, name, b.location(), err)
		}
	}
}

// fill types into the text field labelled label.
func (b *tab) fill(label, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue("textbox "+label, value, byName("textbox", label)))
}

// text returns the text of the first element a CSS selector matches.
func (b *tab) text(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s at %s: %v", css, b.location(), err)
	}
	return s
}

// body returns the text of the page. (textContent, not innerText: the
// storefront's cards skip rendering off screen, content-visibility: auto,
// and innerText leaves out what is not rendered.)
func (b *tab) body() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.textContent"))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// has reports whether a control of a role with this name is on the page.
func (b *tab) has(role, name string) bool {
	b.t.Helper()
	ids, err := chromedp.Run(b.ctx, chromedp.QueryNodeIDs(role+" "+name, byName(role, name), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatal(err)
	}
	return len(ids) > 0
}

// screenshot saves the page at 360 and 1280 pixels wide as test output.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	b.n++
	for _, width := range []int64{360, 1280} {
		b.do(chromedp.EmulateViewport(width, 800))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shot, fmt.Sprintf("%02d-%s-%d.png", b.n, strings.ReplaceAll(name, "/", "_"), width))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(360, 740))
	b.t.Logf("screenshots of %s in %s", name, b.shot)
}
