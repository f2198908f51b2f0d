package bench

import (
	"bufio"
	"strings"
	"testing"
)

func TestParseBatchCounters(t *testing.T) {
	t.Run("the histogram's count and sum are read", func(t *testing.T) {
		text := `# HELP tuango_order_batch_size Orders carried by one group-commit transaction.
# TYPE tuango_order_batch_size histogram
tuango_order_batch_size_bucket{le="1"} 3
tuango_order_batch_size_bucket{le="+Inf"} 120
tuango_order_batch_size_sum 4711
tuango_order_batch_size_count 120
tuango_order_batch_wait_seconds_sum 0.5
tuango_order_batch_wait_seconds_count 120
`
		got, err := parseBatchCounters(bufio.NewScanner(strings.NewReader(text)))
		if err != nil {
			t.Fatal(err)
		}
		if want := (batchCounters{batches: 120, orders: 4711}); got != want {
			t.Errorf("parseBatchCounters = %+v, want %+v", got, want)
		}
	})
	t.Run("metrics without the histogram are an error", func(t *testing.T) {
		if got, err := parseBatchCounters(bufio.NewScanner(strings.NewReader("go_goroutines 12\n"))); err == nil {
			t.Errorf("parseBatchCounters = %+v, want an error", got)
		}
	})
}

func TestNodesFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     func(c *Config)
		wantErr string
	}{
		{"one node on SQLite is fine", func(c *Config) { c.Nodes = 1 }, ""},
		{"several nodes on SQLite are refused", func(c *Config) { c.Nodes = 3 }, "needs --db"},
		{"several nodes on PostgreSQL are fine", func(c *Config) { c.Nodes, c.DB = 3, "postgres://x/y" }, ""},
		{"several nodes with --url are refused", func(c *Config) { c.Nodes, c.URL, c.Binary = 2, "http://10.0.0.5:8080", "" }, "--url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults
			cfg.Binary = "/bin/tuango"
			tc.cfg(&cfg)
			err := cfg.check()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("check() = %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("check() = %v, want an error about %s", err, tc.wantErr)
			}
		})
	}
}
