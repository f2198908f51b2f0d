package tuango

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The status page outlives the database: every node probes it, keeps the
// last status it read and its own probes' view in memory, and serves the
// page from there. Three failed probes in a row open an incident, two
// good ones move it to monitoring, quiet minutes resolve it; each move is
// an update, with an id made from the incident and the move so that nodes
// that saw the same outage write it once.

// StatusConfig sets the probes.
type StatusConfig struct {
	// Node names this node in the probe table.
	Node string
	// Every is how often the probes run (10 s).
	Every time.Duration
	// FailuresToOpen failed probes in a row open an incident (3).
	FailuresToOpen int
	// SuccessesToMonitor good probes in a row move it to monitoring (2).
	SuccessesToMonitor int
	// Quiet is how long without a failure resolves it (5 min).
	Quiet time.Duration
	// History is how long resolved incidents stay on the page (14 days).
	History time.Duration
}

// Default probe settings.
const (
	DefaultProbeEvery    = 10 * time.Second
	DefaultIncidentQuiet = 5 * time.Minute
	UptimeDays           = 90
)

// StatusSnapshot is the status page as this node sees it.
type StatusSnapshot struct {
	// At is when the data was last read from the database.
	At time.Time
	// Live reports whether this node's last probe passed.
	Live         bool
	Indicator    Impact
	Components   []ComponentView
	Incidents    []IncidentView // open first, then resolved, newest first
	Maintenances []IncidentView // scheduled or in progress, soonest first
}

// ComponentView is one component on the page.
type ComponentView struct {
	ID string
	// City is a city component's city name; empty for the fixed ones.
	City   string
	Status ComponentStatus
	// Uptime is one entry per UTC day, the oldest first, the last today.
	Uptime []UptimeDay
}

// UptimeDay is one day of a component's probes.
type UptimeDay struct {
	Day string
	// BasisPoints is the share of good probes in 1/10,000; -1 when no
	// probe ran that day.
	BasisPoints int
	DownSeconds int
}

// IncidentView is an incident and its updates, the newest first.
type IncidentView struct {
	Incident
	Updates []IncidentUpdate
}

// Latest is the newest update, or a zero one.
func (v IncidentView) Latest() IncidentUpdate {
	if len(v.Updates) == 0 {
		return IncidentUpdate{}
	}
	return v.Updates[0]
}

// StatusMonitor runs this node's probes and keeps its status in memory.
type StatusMonitor struct {
	svc *Service
	cfg StatusConfig

	mu      sync.Mutex
	base    statusData // as last read from the database
	live    bool
	fails   int
	oks     int
	lastOK  time.Time     // the last good probe: an outage began after it
	auto    *autoIncident // this node's automatic incident, nil when none
	pending []autoStep
	counts  map[[2]string]*UptimeCount
}

// statusData is what a refresh reads.
type statusData struct {
	at        time.Time
	cities    []City
	incidents []IncidentView
	uptime    []UptimeCount
}

type autoIncident struct {
	inc       Incident
	updates   []IncidentUpdate // as this node posted them, the newest first
	firstFail time.Time
	lastFail  time.Time
	round     int // how often it came back after monitoring
}

type autoStep struct {
	a      *autoIncident
	update IncidentUpdate // its id and incident id are set when it is written
}

// NewStatusMonitor returns the monitor of this node; run its Probe every
// cfg.Every.
func (s *Service) NewStatusMonitor(cfg StatusConfig) *StatusMonitor {
	if cfg.Every <= 0 {
		cfg.Every = DefaultProbeEvery
	}
	if cfg.FailuresToOpen <= 0 {
		cfg.FailuresToOpen = 3
	}
	if cfg.SuccessesToMonitor <= 0 {
		cfg.SuccessesToMonitor = 2
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultIncidentQuiet
	}
	if cfg.History <= 0 {
		cfg.History = 14 * 24 * time.Hour
	}
	if cfg.Node == "" {
		cfg.Node = "node"
	}
	return &StatusMonitor{svc: s, cfg: cfg, live: true, counts: map[[2]string]*UptimeCount{}}
}

// Config returns the monitor's settings.
func (m *StatusMonitor) Config() StatusConfig { return m.cfg }

// Probe runs one round: a read and a write probe, the incident's moves,
// and, when the database answers, writing what is pending and reading the
// status again.
func (m *StatusMonitor) Probe(ctx context.Context) {
	now := m.svc.clock.Now()
	timeout := min(m.cfg.Every, 2*time.Second)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	readErr := m.svc.store.Ping(pctx)
	cancel()
	writeErr := readErr
	if readErr == nil {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		writeErr = m.svc.store.RecordProbe(pctx, m.cfg.Node, now)
		cancel()
	}
	if ctx.Err() != nil {
		return
	}
	ok := readErr == nil && writeErr == nil
	m.mu.Lock()
	m.count(now, readErr == nil, writeErr == nil)
	m.observe(ok, now)
	m.mu.Unlock()
	if !ok {
		m.svc.log.Warn("status probe failed", "read_err", readErr, "write_err", writeErr)
		return
	}
	if err := m.persist(ctx); err != nil {
		m.svc.log.Warn("status: write the automatic incident", "err", err)
	}
	if err := m.flushUptime(ctx); err != nil {
		m.svc.log.Warn("status: write uptime", "err", err)
	}
	if err := m.Refresh(ctx); err != nil {
		m.svc.log.Warn("status: read the status", "err", err)
	}
}

// count adds one round to today's counts of every component.
func (m *StatusMonitor) count(now time.Time, readOK, writeOK bool) {
	day := now.UTC().Format(time.DateOnly)
	add := func(comp string, ok bool) {
		k := [2]string{comp, day}
		c := m.counts[k]
		if c == nil {
			c = &UptimeCount{Component: comp, Day: day}
			m.counts[k] = c
		}
		c.Probes++
		if !ok {
			c.Failures++
			c.DownSeconds += int(m.cfg.Every / time.Second)
		}
	}
	for _, comp := range FixedComponents {
		ok := readOK // the pages read
		if comp == CompOrdering {
			ok = writeOK
		}
		add(comp, ok)
	}
	for _, c := range m.base.cities {
		add(CityComponent(c.ID), writeOK)
	}
}

// observe moves this node's automatic incident by one probe's result.
func (m *StatusMonitor) observe(ok bool, now time.Time) {
	m.live = ok
	if !ok {
		m.oks = 0
		m.fails++
		if m.auto != nil {
			m.auto.lastFail = now
			if m.auto.inc.Status == IncidentMonitoring {
				m.auto.round++
				m.step(IncidentInvestigating, now, "问题再次出现，我们正在处理。 The problem came back; we are on it.")
			}
			return
		}
		if m.fails >= m.cfg.FailuresToOpen {
			m.openAuto(now)
		}
		return
	}
	m.fails = 0
	m.oks++
	m.lastOK = now
	a := m.auto
	if a == nil {
		return
	}
	switch a.inc.Status {
	case IncidentInvestigating, IncidentIdentified:
		if m.oks >= m.cfg.SuccessesToMonitor {
			m.step(IncidentMonitoring, now, "数据库已恢复应答，下单已恢复，我们正在观察。 The database answers again and ordering is back; we are watching it.")
		}
	case IncidentMonitoring:
		if now.Sub(a.lastFail) >= m.cfg.Quiet {
			m.step(IncidentResolved, now, "已恢复正常。恢复期间确认的订单全部保留。 Resolved: everything works again, and every order confirmed before or during the outage is kept.")
			m.auto = nil
		}
	}
}

// openAuto opens this node's automatic incident, in memory first.
func (m *StatusMonitor) openAuto(now time.Time) {
	// The outage began after the last good probe: the incident's window
	// starts there, so that every order refused in it is counted.
	first := now.Add(-time.Duration(m.fails) * m.cfg.Every)
	if !m.lastOK.IsZero() && m.lastOK.After(first) {
		first = m.lastOK
	}
	comps := []ComponentImpact{
		{CompStorefront, ComponentDegraded}, {CompOrdering, ComponentMajorOutage}, {CompLeaderTools, ComponentMajorOutage},
		{CompSupplierConsole, ComponentMajorOutage}, {CompNotifications, ComponentDegraded},
	}
	for _, c := range m.base.cities {
		comps = append(comps, ComponentImpact{CityComponent(c.ID), ComponentMajorOutage})
	}
	m.auto = &autoIncident{firstFail: first, lastFail: now, inc: Incident{ID: m.svc.newID("inc"), Kind: KindIncident,
		Name: "数据库无法访问，暂停下单 · The database does not answer: ordering is paused", Impact: ImpactCritical,
		Status: IncidentInvestigating, Components: comps, Auto: true, CreatedBy: "probe:" + m.cfg.Node, CreatedAt: first, UpdatedAt: now}}
	m.step(IncidentInvestigating, now, "探测发现数据库无法访问：商品列表显示最近一次的副本，暂停下单；已确认的订单不会丢失。 The probes found the database not answering: the deals show their last good copy and ordering is paused; no confirmed order is lost.")
}

// step records one move of the automatic incident, to be written.
func (m *StatusMonitor) step(to IncidentStatus, now time.Time, body string) {
	a := m.auto
	moveIncident(&a.inc, to, now)
	u := IncidentUpdate{Status: to, Body: body, CreatedBy: "probe:" + m.cfg.Node, At: now, Effects: m.effects(now, to)}
	u.IncidentID, u.ID = a.inc.ID, autoUpdateID(a.inc.ID, to, a.round)
	a.updates = append([]IncidentUpdate{u}, a.updates...)
	m.pending = append(m.pending, autoStep{a: a, update: u})
}

// autoUpdateID is the same on every node for the same move.
func autoUpdateID(incID string, to IncidentStatus, round int) string {
	id := incID + "-" + string(to)
	if round > 0 {
		id += "-" + strconv.Itoa(round)
	}
	return id
}

// effects says what an automatic update means: a city whose cutoff comes
// within two hours may see it late, and its delivery with it.
func (m *StatusMonitor) effects(now time.Time, to IncidentStatus) Effects {
	e := Effects{Cutoff: EffectNone, Delivery: EffectNone, Settlement: EffectNone}
	if to.Closed() || to == IncidentMonitoring {
		return e
	}
	for _, c := range m.base.cities {
		if at, err := nextCutoff(c, now); err == nil && at.Sub(now) <= 2*time.Hour {
			e.Cutoff, e.Delivery = EffectAtRisk, EffectAtRisk
		}
	}
	return e
}

// nextCutoff is a city's next cutoff after now.
func nextCutoff(c City, now time.Time) (time.Time, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	hm, err := time.Parse("15:04", c.Cutoff)
	if err != nil {
		return time.Time{}, err
	}
	l := now.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	if !at.After(now) {
		at = at.AddDate(0, 0, 1)
	}
	return at, nil
}

// persist writes the automatic incident's pending moves, in order. An
// automatic incident already open (another node's) is joined rather than
// a second one opened; moves already written are skipped by their ids.
func (m *StatusMonitor) persist(ctx context.Context) error {
	for {
		m.mu.Lock()
		if len(m.pending) == 0 {
			m.mu.Unlock()
			return nil
		}
		st := m.pending[0]
		inc := st.a.inc
		m.mu.Unlock()
		id, closed, err := m.join(ctx, st.a, inc)
		if err != nil {
			return err
		}
		m.mu.Lock()
		if id != st.a.inc.ID {
			m.rename(st.a, id)
		}
		u := m.pending[0].update
		m.mu.Unlock()
		if !closed {
			if err := m.writeStep(ctx, u); err != nil {
				return err
			}
		}
		m.mu.Lock()
		m.pending = m.pending[1:]
		if closed { // someone resolved it: nothing of ours to add
			m.pending = slices.DeleteFunc(m.pending, func(p autoStep) bool { return p.a == st.a })
			if m.auto == st.a {
				m.auto = nil
			}
		}
		m.mu.Unlock()
	}
}

// rename gives a's incident and its moves the id of the incident joined.
func (m *StatusMonitor) rename(a *autoIncident, id string) {
	old := a.inc.ID
	a.inc.ID = id
	re := func(u *IncidentUpdate) { u.IncidentID, u.ID = id, id+strings.TrimPrefix(u.ID, old) }
	for i := range a.updates {
		re(&a.updates[i])
	}
	for i := range m.pending {
		if p := &m.pending[i]; p.a == a {
			re(&p.update)
		}
	}
}

// join finds the automatic incident a belongs to, opening it if none
// covers this outage: the open one, or one that ended after a's first
// failure. It reports whether that incident is closed.
func (m *StatusMonitor) join(ctx context.Context, a *autoIncident, inc Incident) (string, bool, error) {
	if existing, err := m.svc.store.FindIncidentByID(ctx, inc.ID); err == nil {
		return existing.ID, existing.Status.Closed(), nil
	} else if !IsNotFound(err) {
		return "", false, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		if open, err := m.svc.store.FindOpenAutoIncident(ctx); err == nil {
			return open.ID, false, nil
		} else if !IsNotFound(err) {
			return "", false, err
		}
		recent, err := m.svc.store.FindIncidents(ctx, a.firstFail.Add(-m.cfg.Quiet), 20)
		if err != nil {
			return "", false, err
		}
		for _, r := range recent {
			if r.Auto && r.Status.Closed() && !r.ResolvedAt.Before(a.firstFail) {
				return r.ID, true, nil
			}
		}
		inc.Status, inc.UpdatedAt = IncidentInvestigating, inc.CreatedAt
		err = m.svc.store.CreateIncident(ctx, &inc)
		if err == nil {
			return inc.ID, false, nil
		}
		if ErrorCode(err) != CodeConflict { // another node opened it first: join that one
			return "", false, err
		}
	}
	return "", false, Errorf(CodeConflict, "status: the automatic incident kept changing under us")
}

// writeStep writes one move: the update, and the incident's status unless
// it is closed already.
func (m *StatusMonitor) writeStep(ctx context.Context, u IncidentUpdate) error {
	return m.svc.store.InTx(ctx, func(tx Store) error {
		inc, err := tx.FindIncidentByID(ctx, u.IncidentID)
		if err != nil {
			return err
		}
		if inc.Status.Closed() {
			return nil
		}
		added, err := tx.AddIncidentUpdate(ctx, &u)
		if err != nil || !added {
			return err
		}
		moveIncident(inc, u.Status, u.At)
		return tx.UpdateIncident(ctx, inc)
	})
}

// flushUptime adds the counts kept in memory to the database.
func (m *StatusMonitor) flushUptime(ctx context.Context) error {
	m.mu.Lock()
	rows := make([]UptimeCount, 0, len(m.counts))
	for _, c := range m.counts {
		rows = append(rows, *c)
	}
	m.counts = map[[2]string]*UptimeCount{}
	m.mu.Unlock()
	if len(rows) == 0 {
		return nil
	}
	slices.SortFunc(rows, func(a, b UptimeCount) int { return strings.Compare(a.Component+a.Day, b.Component+b.Day) })
	err := m.svc.store.AddUptime(ctx, rows)
	if err != nil { // keep them for the next round
		m.mu.Lock()
		for _, r := range rows {
			k := [2]string{r.Component, r.Day}
			if c := m.counts[k]; c != nil {
				c.Probes, c.Failures, c.DownSeconds = c.Probes+r.Probes, c.Failures+r.Failures, c.DownSeconds+r.DownSeconds
			} else {
				r := r
				m.counts[k] = &r
			}
		}
		m.mu.Unlock()
	}
	return err
}

// Refresh reads the status from the database into memory. An open
// automatic incident this node has no view of (its opener died) is taken
// over, so that it still resolves.
func (m *StatusMonitor) Refresh(ctx context.Context) error {
	now := m.svc.clock.Now()
	st := m.svc.store
	cities, err := st.FindCities(ctx)
	if err != nil {
		return err
	}
	incs, err := st.FindIncidents(ctx, now.Add(-m.cfg.History), 100)
	if err != nil {
		return err
	}
	ids := make([]string, len(incs))
	for i, in := range incs {
		ids[i] = in.ID
	}
	updates, err := st.FindIncidentUpdates(ctx, ids)
	if err != nil {
		return err
	}
	byInc := map[string][]IncidentUpdate{}
	for _, u := range updates {
		byInc[u.IncidentID] = append([]IncidentUpdate{u}, byInc[u.IncidentID]...)
	}
	views := make([]IncidentView, len(incs))
	for i, in := range incs {
		views[i] = IncidentView{Incident: in, Updates: byInc[in.ID]}
	}
	uptime, err := st.FindUptime(ctx, now.UTC().AddDate(0, 0, -(UptimeDays-1)).Format(time.DateOnly))
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.base = statusData{at: now, cities: cities, incidents: views, uptime: uptime}
	for _, v := range views {
		if !v.Auto {
			continue
		}
		if m.auto != nil && m.auto.inc.ID == v.ID && v.Status.Closed() && !m.hasPending(m.auto) {
			m.auto = nil // an operator resolved it
		}
		if m.auto == nil && !v.Status.Closed() && m.fails == 0 {
			m.auto = &autoIncident{inc: v.Incident, updates: v.Updates, firstFail: v.CreatedAt, lastFail: v.UpdatedAt}
		}
	}
	return nil
}

func (m *StatusMonitor) hasPending(a *autoIncident) bool {
	return slices.ContainsFunc(m.pending, func(p autoStep) bool { return p.a == a })
}

// Snapshot returns the status as this node sees it, from memory only:
// what it last read, with its own probes' incident laid over.
func (m *StatusMonitor) Snapshot() StatusSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.svc.clock.Now()
	snap := StatusSnapshot{At: m.base.at, Live: m.live, Indicator: ImpactNone}
	open, closed, maint := m.incidents()
	snap.Maintenances, snap.Incidents = maint, append(open, closed...)

	worst := map[string]ComponentStatus{}
	touch := func(v IncidentView) {
		if v.Impact.Worse(snap.Indicator) {
			snap.Indicator = v.Impact
		}
		for _, c := range v.Components {
			if c.Status.Worse(worst[c.ID]) {
				worst[c.ID] = c.Status
			}
		}
	}
	for _, v := range open {
		touch(v)
	}
	for _, v := range snap.Maintenances {
		if v.Status == MaintenanceInProgress || (!v.StartsAt.After(now) && v.EndsAt.After(now)) {
			touch(v)
		}
	}
	ids := slices.Clone(FixedComponents)
	names := map[string]string{}
	for _, c := range m.base.cities {
		ids = append(ids, CityComponent(c.ID))
		names[CityComponent(c.ID)] = c.Name
	}
	counts := map[[2]string]UptimeCount{}
	for _, u := range m.base.uptime {
		counts[[2]string{u.Component, u.Day}] = u
	}
	for k, c := range m.counts { // this node's, not yet written
		u := counts[k]
		u.Probes, u.Failures, u.DownSeconds = u.Probes+c.Probes, u.Failures+c.Failures, u.DownSeconds+c.DownSeconds
		counts[k] = u
	}
	for _, id := range ids {
		cv := ComponentView{ID: id, City: names[id], Status: ComponentOperational}
		if s, ok := worst[id]; ok {
			cv.Status = s
		}
		for d := UptimeDays - 1; d >= 0; d-- {
			day := now.UTC().AddDate(0, 0, -d).Format(time.DateOnly)
			u, ok := counts[[2]string{id, day}]
			ud := UptimeDay{Day: day, BasisPoints: -1}
			if ok && u.Probes > 0 {
				ud.BasisPoints, ud.DownSeconds = (u.Probes-u.Failures)*10000/u.Probes, u.DownSeconds
			}
			cv.Uptime = append(cv.Uptime, ud)
		}
		snap.Components = append(snap.Components, cv)
	}
	return snap
}

// Headline returns the open incidents and the maintenances not completed,
// without the rest of a snapshot: what every page's banner needs.
func (m *StatusMonitor) Headline() (open, maintenances []IncidentView) {
	m.mu.Lock()
	defer m.mu.Unlock()
	open, _, maintenances = m.incidents()
	return open, maintenances
}

// incidents is the list read from the database with this node's own
// automatic incident laid over, split into open incidents, closed ones
// and maintenances not completed (soonest first). Call it locked.
func (m *StatusMonitor) incidents() (open, closed, maint []IncidentView) {
	incs := slices.Clone(m.base.incidents)
	var mine []*autoIncident
	if m.auto != nil {
		mine = append(mine, m.auto)
	}
	for _, p := range m.pending {
		if !slices.Contains(mine, p.a) {
			mine = append(mine, p.a)
		}
	}
	for _, a := range mine {
		incs = mergeAuto(incs, a)
	}
	for _, v := range incs {
		switch {
		case v.Kind == KindMaintenance && !v.Status.Closed():
			maint = append(maint, v)
		case v.Status.Closed():
			closed = append(closed, v)
		default:
			open = append(open, v)
		}
	}
	slices.SortStableFunc(maint, func(a, b IncidentView) int { return a.StartsAt.Compare(b.StartsAt) })
	return open, closed, maint
}

// mergeAuto lays this node's view of an automatic incident over the list
// read from the database: its updates joined by id, its status that of
// the newest update.
func mergeAuto(incs []IncidentView, a *autoIncident) []IncidentView {
	i := slices.IndexFunc(incs, func(v IncidentView) bool { return v.ID == a.inc.ID })
	if i < 0 {
		return append([]IncidentView{{Incident: a.inc, Updates: slices.Clone(a.updates)}}, incs...)
	}
	v := incs[i]
	v.Updates = slices.Clone(v.Updates)
	for _, u := range a.updates {
		if !slices.ContainsFunc(v.Updates, func(w IncidentUpdate) bool { return w.ID == u.ID }) {
			v.Updates = append(v.Updates, u)
		}
	}
	slices.SortStableFunc(v.Updates, func(x, y IncidentUpdate) int { return y.At.Compare(x.At) })
	if !v.Status.Closed() && len(v.Updates) > 0 {
		v.Status = v.Updates[0].Status
	}
	incs[i] = v
	return incs
}
