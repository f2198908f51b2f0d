package web

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Intrusion detection, in process. Each scenario is a leaky bucket per
// source, as CrowdSec's are: an event fills it by one, it leaks one per
// leak, and when it reaches trigger the source is banned (see
// docs/security.md, "Intrusion detection", for the scenarios CrowdSec
// ships and the thresholds taken from them). A distinct scenario counts a
// path once while it is in the bucket. Buckets are per node: a scanner
// spread over nodes by a balancer fills each node's bucket more slowly,
// the cluster factor the docs name; the ban it earns is enforced by all.
type scenario struct {
	name     string
	trigger  int
	leak     time.Duration
	distinct bool
}

var (
	scProbing     = &scenario{"http-probing", 10, 10 * time.Second, true}
	scSensitive   = &scenario{"http-sensitive-files", 2, 5 * time.Second, true}
	scTraversal   = &scenario{"http-path-traversal-probing", 3, 10 * time.Second, true}
	scBackdoor    = &scenario{"http-backdoors-attempts", 1, 5 * time.Second, true}
	scAdminPanel  = &scenario{"http-admin-interface-probing", 4, 10 * time.Second, true}
	scBadAgent    = &scenario{"http-bad-user-agent", 1, time.Minute, false}
	scCrawl       = &scenario{"http-crawl-non_statics", 40, 500 * time.Millisecond, true}
	scCredentials = &scenario{"http-generic-bf", 6, 10 * time.Second, false}
	scWAF         = &scenario{"http-waf-blocked", 5, 10 * time.Second, false}
)

type leakyBucket struct {
	level int
	last  time.Time            // when it last leaked
	seen  map[string]time.Time // distinct keys while in the bucket
}

// detector holds the buckets of every scenario and source. Memory is
// bounded: buckets live in two generations, swapped every two minutes
// (longer than any bucket takes to leak empty) or when the newer fills.
type detector struct {
	mu        sync.Mutex
	cur, prev map[string]*leakyBucket
	swapped   time.Time
}

const detectorMaxBuckets = 100_000

func newDetector() *detector {
	return &detector{cur: map[string]*leakyBucket{}, prev: map[string]*leakyBucket{}}
}

// add counts one event of sc for group at now and reports whether the
// bucket reached its trigger (then it empties).
func (d *detector) add(sc *scenario, group, key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.swapped) > 2*time.Minute || len(d.cur) >= detectorMaxBuckets {
		d.prev, d.cur, d.swapped = d.cur, map[string]*leakyBucket{}, now
	}
	id := sc.name + "\x00" + group
	b := d.cur[id]
	if b == nil {
		if b = d.prev[id]; b != nil {
			delete(d.prev, id)
		} else {
			b = &leakyBucket{last: now}
		}
		d.cur[id] = b
	}
	// It leaks in whole events, one per leak since the last, as
	// CrowdSec's buckets do: ten misses in a few seconds are ten.
	if n := int(now.Sub(b.last) / sc.leak); n > 0 {
		b.level = max(0, b.level-n)
		b.last = b.last.Add(time.Duration(n) * sc.leak)
	}
	if b.level == 0 {
		b.last = now
	}
	if sc.distinct {
		if b.seen == nil {
			b.seen = map[string]time.Time{}
		}
		window := time.Duration(sc.trigger) * sc.leak
		if t, ok := b.seen[key]; ok && now.Sub(t) < window {
			return false
		}
		if len(b.seen) > 4*sc.trigger {
			for k, t := range b.seen {
				if now.Sub(t) >= window {
					delete(b.seen, k)
				}
			}
		}
		b.seen[key] = now
	}
	b.level++
	if b.level >= sc.trigger {
		delete(d.cur, id)
		return true
	}
	return false
}

// observation is what detection sees of one request and its answer.
type observation struct {
	method, path, rawURI, agent string
	status                      int
	pattern                     string // the route the mux chose
	account                     string // the signed-in user, if any
	wafBlocked                  bool
}

// detect runs every scenario on one request from group (the source's
// group, an IPv6 address's /64) and returns the first that fires, or nil.
func (d *detector) detect(group string, o observation, now time.Time) *scenario {
	uri := strings.ToLower(o.rawURI)
	path := strings.ToLower(o.path)
	static := isStatic(path)
	type event struct {
		sc    *scenario
		group string
		key   string
	}
	var evs []event
	if badAgent(o.agent) {
		evs = append(evs, event{scBadAgent, group, ""})
	}
	if isBackdoor(path) {
		evs = append(evs, event{scBackdoor, group, path})
	}
	if isTraversal(uri) {
		evs = append(evs, event{scTraversal, group, uri})
	}
	if isSensitive(path) {
		evs = append(evs, event{scSensitive, group, path})
	}
	if (o.status == 404 || o.status == 403) && isAdminPanel(path) {
		evs = append(evs, event{scAdminPanel, group, path})
	}
	// A signed-in neighbour's mistakes count for that neighbour, not for
	// everyone behind the same address.
	who := group
	if o.account != "" {
		who = group + "|" + o.account
	}
	if (o.status == 400 || o.status == 403 || o.status == 404) && !static && !o.wafBlocked {
		evs = append(evs, event{scProbing, who, path})
	}
	if o.account == "" && !static {
		evs = append(evs, event{scCrawl, group, uri})
	}
	if o.status == http.StatusUnauthorized && (o.pattern == "POST /api/v1/auth/login" || o.pattern == "POST /login") {
		evs = append(evs, event{scCredentials, group, ""})
	}
	if o.wafBlocked {
		evs = append(evs, event{scWAF, group, ""})
	}
	for _, e := range evs {
		if d.add(e.sc, e.group, e.key, now) {
			return e.sc
		}
	}
	return nil
}

func isStatic(path string) bool {
	if strings.HasPrefix(path, "/static/") || path == "/favicon.ico" || path == "/robots.txt" {
		return true
	}
	for _, ext := range []string{".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".webp"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// Scanner names seen in the User-Agent of tools that probe web
// applications; a browser, a phone app or an API client sends none.
var badAgents = regexp.MustCompile(`(?i)sqlmap|nikto|wapiti|skipfish|nmap|masscan|zgrab|nuclei|gobuster|dirbuster|\bdirb\b|feroxbuster|ffuf|wfuzz|wpscan|joomscan|acunetix|netsparker|w3af|arachni|openvas|nessus|zmeu|fimap|havij|jorgee|morfeus|commix|whatweb|paros|webinspect|appscan|qualys|hydra|l9explore|httpx|censys`)

func badAgent(ua string) bool { return ua != "" && badAgents.MatchString(ua) }

// Files a site never serves but leaks when misconfigured: secrets, dumps,
// version control, editor droppings.
var sensitiveSuffixes = []string{
	"/.env", ".env.local", ".env.production", "/.git/config", "/.git/head", "/.git/index", "/.gitignore", "/.svn/entries", "/.hg/store",
	"/.htaccess", "/.htpasswd", "/.ds_store", "/wp-config.php", "/config.php", "/configuration.php", "/web.config", "/database.yml",
	"/settings.py", "/id_rsa", "/id_dsa", "/.ssh/authorized_keys", "/.aws/credentials", "/.npmrc", "/.dockercfg", "/docker-compose.yml",
	".sql", ".sql.gz", ".bak", ".old", ".orig", ".swp", "~", ".tar.gz", ".tgz", ".zip", ".rar", ".7z", ".db", ".sqlite", ".sqlite3",
	".mdb", ".log", ".pem", ".key", ".p12", ".pfx", ".kdbx", "/server-status", "/phpinfo.php", "/info.php", "/.bash_history", "/.mysql_history",
}

func isSensitive(path string) bool {
	if strings.Contains(path, "/.git/") || strings.Contains(path, "/.svn/") {
		return true
	}
	for _, s := range sensitiveSuffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// Web shells and backdoors that scanners look for once another site has
// been broken into.
var backdoors = []string{"c99.php", "r57.php", "shell.php", "cmd.php", "wso.php", "alfa.php", "b374k", "webshell", "eval-stdin.php",
	"phpunit/src/util/php/", "indoxploit", "adminer.php", "up.php", "uploader.php", "mini.php", "leaf.php", "marijuana.php", "/cgi-bin/",
	"xmlrpc.php", "/shell?", "/boaform/", "/hnap1"}

func isBackdoor(path string) bool {
	for _, b := range backdoors {
		if strings.Contains(path, b) {
			return true
		}
	}
	return false
}

// Admin panels of other software: tuango's own pages are under /admin/
// and exist, so only these, answered 404 or 403, count.
var adminPanels = []string{"/wp-admin", "/wp-login.php", "/administrator", "/phpmyadmin", "/pma/", "/myadmin", "/admin.php", "/admin/login.php",
	"/manager/html", "/cpanel", "/webadmin", "/siteadmin", "/admin/config.php", "/jenkins", "/solr/admin", "/actuator", "/console/",
	"/joomla/administrator", "/typo3", "/user/login", "/admincp", "/controlpanel", "/wp-json/wp/v2/users", "/druid/index.html", "/nacos"}

func isAdminPanel(path string) bool {
	for _, a := range adminPanels {
		if strings.Contains(path, a) {
			return true
		}
	}
	return false
}

// Path traversal in its common spellings, encoded once or twice.
var traversal = regexp.MustCompile(`\.\./|\.\.\\|\.\.%2f|\.\.%5c|%2e%2e|%252e%252e|%c0%ae|\.\.;/|/etc/passwd|/etc/shadow|win\.ini|boot\.ini|/proc/self/`)

func isTraversal(uri string) bool { return traversal.MatchString(uri) }
