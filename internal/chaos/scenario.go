package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// database makes the run's fresh database and returns its dsn and what
// removes it.
func (cfg *Config) database(ctx context.Context, say func(string, ...any)) (string, func(), error) {
	if cfg.Scenario == "sqlite" {
		dir, err := os.MkdirTemp("", "tuango-chaos-sqlite-")
		if err != nil {
			return "", nil, err
		}
		if cfg.Keep {
			say("data folder %s (kept)", dir)
			return dir, func() {}, nil
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	admin := AdminURL(cfg.AdminURL)
	name, url, err := createDatabase(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	if cfg.Keep {
		say("database %s (kept)", url)
		return url, func() {}, nil
	}
	say("database %s", name)
	return url, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dropDatabase(dctx, admin, name); err != nil {
			say("%v", err)
		}
	}, nil
}

// nodes describes the run's nodes, each on a port of its own chosen now.
func (cfg *Config) nodes(dsn, prefix string) ([]*node, error) {
	var nodes []*node
	for i := 1; i <= cfg.Nodes; i++ {
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("n%d", i)
		log, err := os.OpenFile(filepath.Join(cfg.HistoryDir, "node-"+prefix+"-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		where := []string{"--db", dsn}
		if cfg.Scenario == "sqlite" {
			where = []string{"--data", dsn}
		}
		flags := append(append(append(where, "--addr", addr, "--node-id", name), nodeFlags...), cfg.NodeFlags...)
		nodes = append(nodes, &node{name: name, addr: addr, bin: cfg.Binary, flags: flags, log: log})
	}
	return nodes, nil
}
