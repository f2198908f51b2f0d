package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestChaosFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"help lists the flags and runs nothing", []string{"chaos", "--help"}, nil, ""},
		{"an unknown scenario is refused", []string{"chaos", "--scenario", "mysql"}, nil, `--scenario "mysql"`},
		{"the scenario is read from TUANGO_SCENARIO", []string{"chaos"}, map[string]string{"TUANGO_SCENARIO": "oracle"}, `--scenario "oracle"`},
		{"a duration must be a duration", []string{"chaos", "--duration", "soon"}, nil, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, nil, &stdout, &stderr)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(stderr.String(), "--kill-every (TUANGO_KILL_EVERY") || !strings.Contains(stderr.String(), "--no-day (TUANGO_NO_DAY") {
					t.Errorf("run(%v) = %v, stderr %q; want the flags listed", tt.args, err, stderr.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
