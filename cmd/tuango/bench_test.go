package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The bench's command line; the bench itself runs against real servers in
// internal/bench.
func TestBenchCommandLine(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		wantErr string // "" for success
	}{
		{"no benchmark named is an error", []string{"bench"}, nil, "which benchmark"},
		{"an unknown benchmark is an error", []string{"bench", "slow"}, nil, `unknown benchmark "slow"`},
		{"help succeeds", []string{"bench", "flash", "--help"}, nil, ""},
		{"no stock is refused", []string{"bench", "flash", "--stock", "0"}, nil, "--stock"},
		{"flags come from TUANGO_* variables too", []string{"bench", "flash"}, map[string]string{"TUANGO_CONCURRENCY": "0"}, "--concurrency"},
		{"--compare starts its own servers, not --url", []string{"bench", "flash", "--url", "http://127.0.0.1:1", "--compare"}, nil, "--compare"},
		{"--db must be PostgreSQL", []string{"bench", "flash", "--db", "mysql://x"}, nil, "postgres://"},
		{"--max-other-load is a share", []string{"bench", "flash", "--max-other-load", "10"}, nil, "--max-other-load"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.vars), nil, &out, &errb)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("run(%q) = %v, want success", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("run(%q) = %v, want an error mentioning %q", tt.args, err, tt.wantErr)
			}
		})
	}
	t.Run("help lists every flag with its variable", func(t *testing.T) {
		var out, errb bytes.Buffer
		run(context.Background(), []string{"bench", "flash", "--help"}, env(nil), nil, &out, &errb)
		for _, want := range []string{"--concurrency (TUANGO_CONCURRENCY", "--rate (TUANGO_RATE", "--server-cpu-profile (TUANGO_SERVER_CPU_PROFILE", "--json (TUANGO_JSON"} {
			if !strings.Contains(errb.String(), want) {
				t.Errorf("help does not list %s:\n%s", want, errb.String())
			}
		}
	})
}
