package web

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The public status page, its Atom feed and the banner every page shows
// during an incident: all from this node's memory (StatusMonitor), never
// a database read, so that they answer while the database is down.

func (s *Server) statusPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/status", s.handleStatusPage),
		h("GET", "/status/feed.atom", s.handleStatusFeed),
		h("GET", "/admin/incidents", s.handleAdminIncidentsPage),
		h("POST", "/admin/incidents", s.onceForm(s.handleAdminIncidentForm)),
		h("POST", "/admin/incidents/{id}/updates", s.onceForm(s.handleAdminIncidentUpdateForm)),
		h("POST", "/admin/incidents/{id}/postmortem", s.onceForm(s.handleAdminPostmortemForm)),
	}
}

// statusPageData is the status page, its words in the page's language.
type statusPageData struct {
	Indicator, IndicatorKey string
	Live                    bool
	AsOf                    string // when this node last read the status
	Open, Maintenances      []incidentCard
	Past                    []incidentCard
	Components              []componentRow
}

type incidentCard struct {
	ID, Name, StatusKey, ImpactKey, Impact string
	Components                             []string
	Opened, Resolved, Lasted               string
	Window                                 string // a maintenance's planned window
	Updates                                []updateLine
	Postmortem                             []string // paragraphs
	Automatic                              bool
	Status                                 string
}

type updateLine struct {
	StatusKey, At, Body, ETA, Effects string
}

type componentRow struct {
	ID, Name, Status, StatusKey, Uptime string
	Days                                []uptimeBar
}

type uptimeBar struct {
	X     int
	Class string
	Title string
}

func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "Service status") // no session read: this page must not need the database
	pg.Data = s.statusPage(pg, s.status.Snapshot())
	s.render(w, r, http.StatusOK, "status", pg)
}

// statusPage words a snapshot for a page.
func (s *Server) statusPage(pg *page, snap tuango.StatusSnapshot) statusPageData {
	d := statusPageData{IndicatorKey: "indicator." + string(snap.Indicator), Indicator: string(snap.Indicator), Live: snap.Live}
	if !snap.At.IsZero() {
		d.AsOf = snap.At.In(shanghai).Format(formTimeShown)
	}
	names := map[string]string{}
	for _, c := range snap.Components {
		name := pg.T("component." + c.ID)
		if c.City != "" {
			name = c.City
		}
		names[c.ID] = name
		row := componentRow{ID: c.ID, Name: name, Status: string(c.Status), StatusKey: "component_status." + string(c.Status), Uptime: uptimePercent(c.Uptime)}
		for i, day := range c.Uptime {
			b := uptimeBar{X: i * 4, Class: "up-none", Title: day.Day + " " + pg.T("no data")}
			if day.BasisPoints >= 0 {
				b.Class, b.Title = "up-ok", fmt.Sprintf("%s %d.%02d%%", day.Day, day.BasisPoints/100, day.BasisPoints%100)
				if day.BasisPoints < 10000 {
					b.Class = "up-down"
					b.Title += " · " + pg.T("%d min down", (day.DownSeconds+59)/60)
				}
			}
			row.Days = append(row.Days, b)
		}
		d.Components = append(d.Components, row)
	}
	for _, v := range snap.Incidents {
		c := incidentCardOf(pg, v, names)
		if v.Status.Closed() {
			d.Past = append(d.Past, c)
		} else {
			d.Open = append(d.Open, c)
		}
	}
	for _, v := range snap.Maintenances {
		d.Maintenances = append(d.Maintenances, incidentCardOf(pg, v, names))
	}
	return d
}

func incidentCardOf(pg *page, v tuango.IncidentView, names map[string]string) incidentCard {
	c := incidentCard{ID: v.ID, Name: v.Name, StatusKey: "incident_status." + string(v.Status), ImpactKey: "impact." + string(v.Impact), Impact: string(v.Impact),
		Opened: v.CreatedAt.In(shanghai).Format(formTimeShown), Automatic: v.Auto, Status: string(v.Status)}
	for _, comp := range v.Components {
		name := names[comp.ID]
		if name == "" {
			name = comp.ID
		}
		c.Components = append(c.Components, name+" · "+pg.T("component_status."+string(comp.Status)))
	}
	if !v.ResolvedAt.IsZero() {
		c.Resolved = v.ResolvedAt.In(shanghai).Format(formTimeShown)
		c.Lasted = pg.T("%d min", int(v.ResolvedAt.Sub(v.CreatedAt).Round(time.Minute)/time.Minute))
	}
	if !v.StartsAt.IsZero() {
		c.Window = v.StartsAt.In(shanghai).Format(formTimeShown) + " – " + v.EndsAt.In(shanghai).Format(formTimeShown)
	}
	for _, u := range v.Updates {
		c.Updates = append(c.Updates, updateLine{StatusKey: "incident_status." + string(u.Status), At: u.At.In(shanghai).Format(formTimeShown),
			Body: u.Body, ETA: etaSentence(pg, u), Effects: effectsSentence(pg, u.Effects)})
	}
	for _, p := range strings.Split(strings.ReplaceAll(v.Postmortem, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			c.Postmortem = append(c.Postmortem, p)
		}
	}
	return c
}

// etaSentence says when it is expected back, or that nobody knows yet.
func etaSentence(pg *page, u tuango.IncidentUpdate) string {
	if u.Status.Closed() {
		return ""
	}
	if u.ETA.IsZero() {
		return pg.T("status.eta_unknown")
	}
	return pg.T("status.eta", u.ETA.In(shanghai).Format(formTimeShown))
}

// effectsSentence says what an update means for the cutoff, tomorrow's
// delivery and settlement; empty when it says nothing of them.
func effectsSentence(pg *page, e tuango.Effects) string {
	if e == (tuango.Effects{}) {
		return ""
	}
	word := func(x tuango.Effect) string {
		if x == "" {
			x = "unknown"
		}
		return pg.T("effect." + string(x))
	}
	return pg.T("status.effects", word(e.Cutoff), word(e.Delivery), word(e.Settlement))
}

// banner is the notice every page shows while an incident is open or a
// maintenance is under way or near.
func (s *Server) banner(pg *page) *Banner {
	if s.status == nil {
		return nil
	}
	open, maintenances := s.status.Headline()
	for _, v := range open {
		level := "warning"
		if v.Impact == tuango.ImpactMajor || v.Impact == tuango.ImpactCritical {
			level = "danger"
		}
		text := pg.T("status.banner", v.Name, pg.T("incident_status."+string(v.Status)))
		if eta := etaSentence(pg, v.Latest()); !v.Latest().ETA.IsZero() {
			text += " " + eta
		}
		return &Banner{Level: level, Text: text, Link: "/status"}
	}
	for _, v := range maintenances {
		if v.EndsAt.After(pg.now) && v.StartsAt.Sub(pg.now) <= 24*time.Hour {
			return &Banner{Level: "info", Text: pg.T("status.banner.maintenance", v.Name,
				v.StartsAt.In(shanghai).Format(formTimeShown), v.EndsAt.In(shanghai).Format(formTimeShown)), Link: "/status"}
		}
	}
	return nil
}

// The Atom feed: one entry per update of the incidents on the page.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Content atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func (s *Server) handleStatusFeed(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "Service status")
	snap := s.status.Snapshot()
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	feed := atomFeed{Lang: pg.Lang, ID: "urn:tuango:status", Title: pg.T("Service status") + " · " + pg.T("tuango"),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/status/feed.atom"}, {Rel: "alternate", Type: "text/html", Href: base + "/status"}},
		Author: atomAuthor{Name: pg.T("tuango")}}
	latest := snap.At
	for _, v := range append(append([]tuango.IncidentView{}, snap.Incidents...), snap.Maintenances...) {
		for _, u := range v.Updates {
			body := u.Body
			for _, extra := range []string{etaSentence(pg, u), effectsSentence(pg, u.Effects)} {
				if extra != "" {
					body += "\n" + extra
				}
			}
			feed.Entries = append(feed.Entries, atomEntry{ID: "urn:tuango:incident-update:" + u.ID,
				Title:   v.Name + " — " + pg.T("incident_status."+string(u.Status)),
				Updated: u.At.UTC().Format(time.RFC3339), Link: atomLink{Rel: "alternate", Href: base + "/status#incident-" + v.ID},
				Content: atomText{Type: "text", Body: body}})
			if u.At.After(latest) {
				latest = u.At
			}
		}
	}
	if latest.IsZero() {
		latest = pg.now
	}
	feed.Updated = latest.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(feed, "", " ")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(xml.Header))
	w.Write(out)
}
