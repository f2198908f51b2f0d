package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const statusHelp = `status export writes a static copy of a running cluster's status page to a
folder, so that it stays readable when every node is down: serve the folder
from another failure domain (another host's web server, or sync it to a
bucket).

  tuango status export --from URL[,URL...] --to DIR [--every 15s]
      read /status (index.html, Chinese; index.en.html, English),
      /api/v1/status (summary.json) and /status/feed.atom (feed.atom) from
      the first node that answers, and write them into DIR, each file
      replaced whole (written aside, then renamed). With --every, again at
      that interval until stopped; a round in which no node answers keeps
      the last copy and says so on stderr. It reads a node, not the
      database: a node answers from memory while the database is down,
      which is exactly when the copy matters.
`

func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(stderr, statusHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("status: say export")
	}
	fs := newFlags("status export", statusHelp, stderr)
	from := fs.String("from", "http://127.0.0.1:8080", "comma-separated base URLs of the nodes to read, tried in order")
	to := fs.String("to", "", "the folder to write index.html, index.en.html, summary.json and feed.atom into (made if missing)")
	every := fs.Duration("every", 0, "export again at this interval until stopped, such as 15s (0: once)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long one node may take to answer")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *to == "" {
		return fmt.Errorf("status export: --to DIR is required")
	}
	if *every < 0 {
		return fmt.Errorf("status export: --every must not be negative")
	}
	var nodes []string
	for _, u := range strings.Split(*from, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return fmt.Errorf("status export: --from %q is not an http:// or https:// URL", u)
			}
			nodes = append(nodes, u)
		}
	}
	if len(nodes) == 0 {
		return fmt.Errorf("status export: --from names no node")
	}
	if err := os.MkdirAll(*to, 0o755); err != nil {
		return fmt.Errorf("status export: %w", err)
	}
	hc := &http.Client{Timeout: *timeout}
	for {
		node, err := exportStatus(ctx, hc, nodes, *to)
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "%s status exported from %s to %s\n", time.Now().UTC().Format(time.RFC3339), node, *to)
		case *every == 0:
			return err
		default:
			fmt.Fprintf(stderr, "%s status export: %v; the last copy stays\n", time.Now().UTC().Format(time.RFC3339), err)
		}
		if *every == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

// statusFiles are what an export writes: file name, path on the node.
var statusFiles = [][2]string{
	{"summary.json", "/api/v1/status"},
	{"index.html", "/status?lang=zh"},
	{"index.en.html", "/status?lang=en"},
	{"feed.atom", "/status/feed.atom"},
}

// exportStatus reads every file from the first node that gives them all,
// then replaces the folder's files; it names the node read.
func exportStatus(ctx context.Context, hc *http.Client, nodes []string, dir string) (string, error) {
	var errs []error
	for _, node := range nodes {
		got, err := readStatus(ctx, hc, node)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range statusFiles {
			if err := writeWhole(filepath.Join(dir, f[0]), got[f[0]]); err != nil {
				return node, err
			}
		}
		return node, nil
	}
	return "", fmt.Errorf("no node answered: %w", errors.Join(errs...))
}

func readStatus(ctx context.Context, hc *http.Client, node string) (map[string][]byte, error) {
	got := map[string][]byte{}
	for _, f := range statusFiles {
		req, err := http.NewRequestWithContext(ctx, "GET", node+f[1], nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", node, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", node, f[1], err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s%s answered %d", node, f[1], resp.StatusCode)
		}
		body := string(raw)
		if f[0] == "summary.json" && !json.Valid(raw) {
			return nil, fmt.Errorf("%s%s: not JSON", node, f[1])
		}
		if strings.HasSuffix(f[0], ".html") {
			body = staticLinks.Replace(string(body))
		}
		got[f[0]] = []byte(body)
	}
	return got, nil
}

// staticLinks points the copy's links at the copy's own files.
var staticLinks = strings.NewReplacer(`href="/status/feed.atom"`, `href="feed.atom"`, `href="/api/v1/status"`, `href="summary.json"`,
	`href="/status?lang=en"`, `href="index.en.html"`, `href="/status?lang=zh"`, `href="index.html"`)

// writeWhole replaces a file so that a reader sees the old one or the new
// one, never half of it.
func writeWhole(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
