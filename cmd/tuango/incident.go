package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

const incidentHelp = `incident posts incidents and their updates on the status page.

  tuango incident open --name TEXT --components ordering,city:ID --body TEXT
        [--impact minor|major|critical] [--state partial_outage] [--eta TIME]
        [--cutoff none|at_risk|delayed] [--delivery ...] [--settlement ...]
        [--kind maintenance --starts-at TIME --ends-at TIME]
  tuango incident update --id ID --status investigating|identified|monitoring|resolved
        --body TEXT [--eta TIME] [--cutoff ...] [--delivery ...] [--settlement ...]
  tuango incident resolve --id ID --body TEXT
  tuango incident postmortem --id ID (--body TEXT | --body-file FILE)

Against a node (--url, with an operator's bearer token in --token or
TUANGO_TOKEN; the node shows the change at once, the others within a probe
interval) or straight against the database (--db URL or --data DIR, when
no node serves). TIME is RFC 3339 (2026-11-25T23:30:00+08:00) or a
duration from now (+45m).
`

func runIncident(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	verbs := map[string]bool{"open": true, "update": true, "resolve": true, "postmortem": true}
	if len(args) == 0 || !verbs[args[0]] {
		fmt.Fprint(stderr, incidentHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("incident: say open, update, resolve or postmortem")
	}
	verb := args[0]
	fs := newFlags("incident "+verb, incidentHelp, stderr)
	var sf storeFlags
	sf.register(fs)
	url := fs.String("url", "", "a node's base URL, such as http://127.0.0.1:8080 (instead of --db/--data)")
	token := fs.String("token", "", "an operator's bearer token, for --url")
	id := fs.String("id", "", "the incident's id (update, resolve, postmortem)")
	name := fs.String("name", "", "open: what is wrong, in a few words")
	kind := fs.String("kind", "incident", "open: incident or maintenance")
	impact := fs.String("impact", "major", "open: none, minor, major or critical")
	components := fs.String("components", "", "open: comma-separated components (storefront, ordering, leader_tools, supplier_console, notifications, city:ID)")
	state := fs.String("state", "partial_outage", "open: the components' state (degraded_performance, partial_outage, major_outage)")
	status := fs.String("status", "", "update: the new status")
	body := fs.String("body", "", "what is known and what people should do (the postmortem's text for postmortem)")
	bodyFile := fs.String("body-file", "", "read the body from this file instead")
	eta := fs.String("eta", "", "the expected recovery time")
	startsAt := fs.String("starts-at", "", "open a maintenance: when it starts")
	endsAt := fs.String("ends-at", "", "open a maintenance: when it ends")
	cutoff := fs.String("cutoff", "", "what it means for the cutoff: none, at_risk or delayed")
	delivery := fs.String("delivery", "", "what it means for tomorrow's delivery: none, at_risk or delayed")
	settlement := fs.String("settlement", "", "what it means for settlement: none, at_risk or delayed")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return fmt.Errorf("incident: --body-file: %w", err)
		}
		*body = string(b)
	}
	if verb != "open" && *id == "" {
		return fmt.Errorf("incident %s: --id is required", verb)
	}
	if verb == "resolve" {
		*status = string(tuango.IncidentResolved)
	}
	now := time.Now()
	times := map[string]string{}
	for flagName, v := range map[string]string{"eta": *eta, "starts-at": *startsAt, "ends-at": *endsAt} {
		t, err := cliTime(v, now)
		if err != nil {
			return fmt.Errorf("incident %s: --%s: %w", verb, flagName, err)
		}
		times[flagName] = t
	}
	var comps []map[string]string
	for _, c := range strings.Split(*components, ",") {
		if c = strings.TrimSpace(c); c != "" {
			st := *state
			if *kind == tuango.KindMaintenance {
				st = string(tuango.ComponentMaintenance)
			}
			comps = append(comps, map[string]string{"id": c, "status": st})
		}
	}
	path, req := "", map[string]any{}
	switch verb {
	case "open":
		path = "/api/v1/admin/incidents"
		req = map[string]any{"kind": *kind, "name": *name, "impact": *impact, "components": comps, "body": *body, "eta": times["eta"],
			"starts_at": times["starts-at"], "ends_at": times["ends-at"], "cutoff": *cutoff, "delivery": *delivery, "settlement": *settlement}
		if *kind == tuango.KindMaintenance {
			delete(req, "impact")
		}
	case "update", "resolve":
		path = "/api/v1/admin/incidents/" + *id + "/updates"
		req = map[string]any{"status": *status, "body": *body, "eta": times["eta"], "cutoff": *cutoff, "delivery": *delivery, "settlement": *settlement}
	case "postmortem":
		path = "/api/v1/admin/incidents/" + *id + "/postmortem"
		req = map[string]any{"body": *body}
	}
	if *url != "" {
		return incidentByURL(ctx, strings.TrimRight(*url, "/"), *token, path, req, stdout)
	}
	return incidentByDB(ctx, sf.dsn(), verb, *id, req, stdout)
}

// cliTime reads an RFC 3339 time or a duration from now ("+45m").
func cliTime(v string, now time.Time) (string, error) {
	if v == "" {
		return "", nil
	}
	if d, ok := strings.CutPrefix(v, "+"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return "", fmt.Errorf("%q is no duration from now, such as +45m", v)
		}
		return now.Add(dur).UTC().Format(time.RFC3339), nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return "", fmt.Errorf("%q is no RFC 3339 time, such as 2026-11-25T23:30:00+08:00", v)
	}
	return v, nil
}

// incidentByURL posts the request to a node's API.
func incidentByURL(ctx context.Context, base, token, path string, req map[string]any, stdout io.Writer) error {
	if token == "" {
		return fmt.Errorf("incident: --url needs an operator's token (--token or TUANGO_TOKEN)")
	}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(hr)
	if err != nil {
		return fmt.Errorf("incident: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ans struct {
		ID, Status, Detail, Code string
	}
	json.Unmarshal(out, &ans)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("incident: %s answered %d %s: %s", base, resp.StatusCode, ans.Code, ans.Detail)
	}
	fmt.Fprintf(stdout, "%s %s\n", ans.ID, ans.Status)
	return nil
}

// incidentByDB makes the change straight in the database, as the admin
// "cli".
func incidentByDB(ctx context.Context, dsn, verb, id string, req map[string]any, stdout io.Writer) error {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tuango.NewService(db.Store(), tuango.SystemClock{}, nil, nil, nil, tuango.Config{BatchMax: 1}, nil)
	defer svc.Close()
	a := tuango.Actor{UserID: "cli", Role: tuango.RoleAdmin}
	str := func(k string) string { s, _ := req[k].(string); return s }
	tm := func(k string) time.Time { t, _ := time.Parse(time.RFC3339, str(k)); return t }
	effects := tuango.Effects{Cutoff: tuango.Effect(str("cutoff")), Delivery: tuango.Effect(str("delivery")), Settlement: tuango.Effect(str("settlement"))}
	switch verb {
	case "open":
		var comps []tuango.ComponentImpact
		for _, c := range req["components"].([]map[string]string) {
			comps = append(comps, tuango.ComponentImpact{ID: c["id"], Status: tuango.ComponentStatus(c["status"])})
		}
		inc, err := svc.OpenIncident(ctx, a, tuango.NewIncident{Kind: str("kind"), Name: str("name"), Impact: tuango.Impact(str("impact")), Components: comps,
			Body: str("body"), ETA: tm("eta"), StartsAt: tm("starts_at"), EndsAt: tm("ends_at"), Effects: effects})
		if err != nil {
			return fmt.Errorf("incident open: %w", err)
		}
		fmt.Fprintf(stdout, "%s %s\n", inc.ID, inc.Status)
	case "update", "resolve":
		u, err := svc.PostIncidentUpdate(ctx, a, id, tuango.NewIncidentUpdate{Status: tuango.IncidentStatus(str("status")), Body: str("body"), ETA: tm("eta"), Effects: effects})
		if err != nil {
			return fmt.Errorf("incident %s: %w", verb, err)
		}
		fmt.Fprintf(stdout, "%s %s\n", u.IncidentID, u.Status)
	case "postmortem":
		inc, err := svc.PublishPostmortem(ctx, a, id, str("body"))
		if err != nil {
			return fmt.Errorf("incident postmortem: %w", err)
		}
		fmt.Fprintf(stdout, "%s %s\n", inc.ID, inc.Status)
	}
	return nil
}
