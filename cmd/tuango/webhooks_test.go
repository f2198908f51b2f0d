package main

import (
	"strings"
	"testing"
)

// The real binary on 127.0.0.1: a webhook to a loopback receiver is
// refused by default and accepted with --webhooks-allow-private, and a
// customer's feedback is queued for the operator.
func TestServeWebhooksAndFeedback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	hook := map[string]any{"url": "http://127.0.0.1:9/hooks", "secret": "binary-test-secret-0123", "events": []string{"incident.updated"}}
	for _, tt := range []struct {
		name  string
		flags []string
		want  int
	}{
		{"by default", nil, 400},
		{"with --webhooks-allow-private", []string{"--webhooks-allow-private"}, 201},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"demo"}, storeArgs(t)...), "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1", "--log-level", "error")
			n := start(t, bin, append(args, tt.flags...)...)
			op := n.login(t, "13900000001")
			status, body, err := n.call(t, "POST", "/api/v1/admin/webhooks", op, hook)
			if err != nil || status != tt.want {
				t.Fatalf("POST /api/v1/admin/webhooks = %d %s (%v), want %d", status, body, err, tt.want)
			}
			if strings.Contains(string(body), "binary-test-secret") {
				t.Errorf("the answer shows the secret: %s", body)
			}
			customer := n.customers(t, 1)[0]
			n.mustCall(t, "POST", "/api/v1/feedback", customer, map[string]any{"text": "送货很快"}, 201, nil)
			var q struct{ Items []struct{ Text string } }
			n.mustCall(t, "GET", "/api/v1/admin/feedback", op, nil, 200, &q)
			if len(q.Items) != 1 || q.Items[0].Text != "送货很快" {
				t.Errorf("the queue = %+v, want the feedback", q.Items)
			}
		})
	}
}
