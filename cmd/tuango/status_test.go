package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The operator's CLI against a running node, and the static export of
// its status page: an incident opened, updated, resolved and given a
// postmortem with tuango incident, then copied by tuango status export
// from the first node that answers.
func TestIncidentCLIAndStatusExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := start(t, buildBinary(t), "demo", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1",
		"--log-level", "error", "--probe-every", "200ms")
	op := n.login(t, "13900000001")
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}

	if _, err := cli("incident", "open", "--url", n.url, "--token", op, "--components", "ordering", "--body", "x"); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("open without a name = %v, want the name named", err)
	}
	if _, err := cli("incident", "open", "--url", n.url, "--token", op, "--name", "n", "--components", "ordering", "--body", "x", "--eta", "soon"); err == nil || !strings.Contains(err.Error(), "--eta") {
		t.Errorf("open with --eta soon = %v, want --eta named", err)
	}
	out, err := cli("incident", "open", "--url", n.url, "--token", op, "--name", "长沙支付变慢", "--components", "ordering", "--impact", "minor",
		"--body", "支付渠道响应慢", "--eta", "+30m", "--settlement", "none")
	if err != nil {
		t.Fatalf("incident open: %v", err)
	}
	id := strings.Fields(out)[0]
	for _, args := range [][]string{
		{"incident", "update", "--id", id, "--status", "identified", "--body", "渠道限流"},
		{"incident", "resolve", "--id", id, "--body", "已恢复"},
		{"incident", "postmortem", "--id", id, "--body", "发生了什么：渠道限流。\n\n影响：37 笔支付延迟。\n\n改进：第二渠道。"},
	} {
		if _, err := cli(append(args, "--url", n.url, "--token", op)...); err != nil {
			t.Fatalf("%s: %v", strings.Join(args[:2], " "), err)
		}
	}
	if _, err := cli("incident", "update", "--url", n.url, "--token", op, "--id", id, "--status", "monitoring", "--body", "again"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("an update after resolving = %v, want 409", err)
	}

	dir := filepath.Join(t.TempDir(), "status")
	if _, err := cli("status", "export", "--from", "http://127.0.0.1:1", "--to", dir); err == nil {
		t.Error("an export from no node answering succeeded")
	}
	if _, err := cli("status", "export", "--from", "http://127.0.0.1:1,"+n.url, "--to", dir); err != nil {
		t.Fatalf("status export: %v", err)
	}
	var sum struct {
		Status   struct{ Indicator string }
		Resolved []struct {
			ID, Postmortem string
			Updates        []struct{ Status string }
		} `json:"recent_incidents"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v %s", err, b)
	}
	if len(sum.Resolved) != 1 || sum.Resolved[0].ID != id || len(sum.Resolved[0].Updates) != 3 || sum.Resolved[0].Postmortem == "" {
		t.Errorf("summary.json's resolved incidents = %+v", sum.Resolved)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, want := range []string{"长沙支付变慢", "影响：37 笔支付延迟。", `href="feed.atom"`, `href="index.en.html"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, f := range []string{"index.en.html", "feed.atom"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// No node answering: the last copy stays as it was.
	if _, err := cli("status", "export", "--from", "http://127.0.0.1:1", "--to", dir); err == nil {
		t.Error("an export from no node answering succeeded")
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "summary.json")); !bytes.Equal(again, b) {
		t.Error("a failed export changed the last copy")
	}
}
