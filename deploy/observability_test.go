package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/repository"
	"go.yaml.in/yaml/v3"
)

// exported maps every metric name /metrics can serve to its label names, read from the service's own collectors:
// the Metrics fields, the queue and pool collectors, and the Go and process collectors.
func exported(t *testing.T) map[string]map[string]bool {
	t.Helper()
	store, err := repository.Open(context.Background(), "", t.TempDir(), repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	pool, err := store.Pool()
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.WatchDB(pool, "sqlite")
	now := time.Now()
	m.WatchQueues(func(context.Context) ([]metrics.QueueDepth, error) {
		return []metrics.QueueDepth{{Queue: "inbound", Depth: 1, Oldest: &now}}, nil
	})
	names := map[string]map[string]bool{}
	add := func(name string, labels ...string) {
		if names[name] == nil {
			names[name] = map[string]bool{}
		}
		for _, l := range labels {
			if l != "" {
				names[name][l] = true
			}
		}
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				add(f.GetName(), l.GetName())
			}
		}
		add(f.GetName())
		if f.GetType().String() == "HISTOGRAM" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				add(f.GetName()+suffix, "le")
			}
		}
	}
	// Vectors show up in Gather only once a series exists: describe every collector field instead.
	descRe := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}\}$`)
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			mt := descRe.FindStringSubmatch(d.String())
			if mt == nil {
				t.Fatalf("cannot read %s", d)
			}
			labels := strings.Split(mt[2], ",")
			add(mt[1], labels...)
			switch v.Field(i).Interface().(type) {
			case *prometheus.HistogramVec, prometheus.Histogram:
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					add(mt[1]+suffix, append(labels, "le")...)
				}
			}
		}
	}
	add("up")
	return names
}

var (
	selectorRe = regexp.MustCompile(`\b((?:waorder|go_sql|process)_[a-zA-Z0-9_]*|up)\b(\{[^}]*\})?`)
	labelRe    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	byRe       = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// checkExpr reports each metric an expression reads that /metrics does not serve, and each label it selects or
// groups by that the metric does not have (job and instance come from Prometheus's scrape).
func checkExpr(names map[string]map[string]bool, expr string) []string {
	var problems []string
	used := map[string]bool{}
	for _, m := range selectorRe.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		used[name] = true
		labels, ok := names[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("metric %s is not exported", name))
			continue
		}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			if l[1] != "job" && l[1] != "instance" && !labels[l[1]] {
				problems = append(problems, fmt.Sprintf("%s has no label %q", name, l[1]))
			}
		}
	}
	for _, g := range byRe.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			l = strings.TrimSpace(l)
			if l == "" || l == "job" || l == "instance" {
				continue
			}
			found := false
			for name := range used {
				found = found || names[name][l]
			}
			if !found {
				problems = append(problems, fmt.Sprintf("no metric in the expression has the label %q it groups by", l))
			}
		}
	}
	if len(used) == 0 {
		problems = append(problems, "reads no waorder metric")
	}
	return problems
}

func TestAlertRules_ParseAndReadOnlyMetricsTheServiceExports(t *testing.T) {
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "alerts.yml")), &rules); err != nil {
		t.Fatalf("alerts.yml does not parse: %v", err)
	}
	names := exported(t)
	readme := read(t, "../README.md")
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v needs alert, expr, a severity label and a summary", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			for _, p := range checkExpr(names, r.Expr) {
				t.Errorf("alert %s: %s\n\t%s", r.Alert, p, r.Expr)
			}
			if !strings.Contains(readme, "`"+r.Alert+"`") {
				t.Errorf("alert %s has no entry in README's runbook", r.Alert)
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d rules", n)
	}
}

func TestGrafanaDashboard_ParsesAndEveryPanelReadsExportedMetrics(t *testing.T) {
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(read(t, "grafana-dashboard.json")), &dash); err != nil {
		t.Fatalf("grafana-dashboard.json does not parse: %v", err)
	}
	names := exported(t)
	seen := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, prob := range checkExpr(names, q.Expr) {
				t.Errorf("panel %q: %s\n\t%s", p.Title, prob, q.Expr)
			}
			for _, m := range selectorRe.FindAllStringSubmatch(q.Expr, -1) {
				seen[strings.TrimSuffix(m[1], "_bucket")] = true
			}
		}
	}
	var missing []string
	for _, want := range []string{"waorder_webhooks_total", "waorder_webhook_seconds", "waorder_queue_depth",
		"waorder_queue_oldest_age_seconds", "waorder_outbound_sends_total", "waorder_outbound_send_errors_total",
		"waorder_cache_gets_total", "go_sql_in_use_connections", "waorder_http_seconds", "waorder_retention_rows_total"} {
		if !seen[want] {
			missing = append(missing, want)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the dashboard shows none of %v", missing)
	}
}

func TestCheckExpr_CatchesUnknownMetricsAndLabels(t *testing.T) {
	names := exported(t)
	for expr, want := range map[string]string{
		`rate(waorder_no_such_metric_total[5m])`:                       "not exported",
		`rate(waorder_webhooks_total{colour="red"}[5m])`:               `no label "colour"`,
		`sum by (colour) (rate(waorder_outbound_sends_total[5m]))`:     `label "colour"`,
		`sum by (result) (rate(waorder_outbound_sends_total[5m])) > 1`: "",
	} {
		got := strings.Join(checkExpr(names, expr), "; ")
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("checkExpr(%s) = %q, want %q", expr, got, want)
		}
	}
}
