package prometheus

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

const sample = "# HELP up_total A counter.\n# TYPE up_total counter\nup_total{host=\"a\"} 1.0\n"

// The checker is strict where Prometheus 3 is: a target that sends no Content-Type is down.
func TestABlankContentTypeIsRefused(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing either: no header at all
		_, _ = w.Write([]byte(sample))
	}))
	defer server.Close()

	_, err := Get(server.URL)
	// Prometheus 3's own words
	if err == nil || !strings.Contains(err.Error(),
		"non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol") {
		t.Fatalf("expected the blank Content-Type to be refused, got %v", err)
	}
}

func TestTheTextFormatWithItsContentTypeIsRead(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(sample))
	}))
	defer server.Close()

	scrape, err := Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	if scrape.Families["up_total"].GetType() != dto.MetricType_COUNTER {
		t.Fatalf("up_total: %v", scrape.Families["up_total"])
	}
}

func TestMalformedTextIsRefused(t *testing.T) {
	if _, err := Parse("broken{host=\"a\" 1\n"); err == nil {
		t.Fatal("a sample with an unclosed label set parsed")
	}
	if _, err := ScrapeAsPrometheus3([]byte("broken{host=\"a\" 1\n"), "text/plain; version=0.0.4"); err == nil {
		t.Fatal("Prometheus 3's parser read a sample with an unclosed label set")
	}
}

func TestAnUnknownContentTypeIsRefused(t *testing.T) {
	if _, err := ScrapeAsPrometheus3([]byte(sample), "application/json"); err == nil ||
		!strings.Contains(err.Error(), "unsupported Content-Type") {
		t.Fatalf("expected Prometheus 3 to refuse application/json, got %v", err)
	}
}

// The packaged jar's /metrics, scraped while it runs: PackagedOperatorIT starts the jar, converges
// a MicroVM on a host named METRICS_HOST, then runs this test with METRICS_URL set.
func TestThePackagedOperatorsMetrics(t *testing.T) {
	url := os.Getenv("METRICS_URL")
	if url == "" {
		t.Skip("METRICS_URL is not set: PackagedOperatorIT runs this test against the packaged jar")
	}
	host := os.Getenv("METRICS_HOST")
	scrape, err := Get(url)
	if err != nil {
		t.Fatalf("Prometheus would mark the target down: %v", err)
	}
	t.Logf("Content-Type %q; Prometheus 3's parser read %d series; expfmt parsed %d metric families",
		scrape.ContentType, scrape.Series, len(scrape.Families))

	if scrape.Series == 0 {
		t.Error("Prometheus 3's parser read no series")
	}
	want := map[string]dto.MetricType{
		// JVM: memory, GC, heap pressure
		"jvm_memory_used_bytes":                           dto.MetricType_GAUGE,
		"jvm_memory_max_bytes":                            dto.MetricType_GAUGE,
		"jvm_gc_memory_allocated_bytes_total":             dto.MetricType_COUNTER,
		"jvm_gc_live_data_size_bytes":                     dto.MetricType_GAUGE,
		"jvm_gc_overhead":                                 dto.MetricType_GAUGE,
		"jvm_memory_usage_after_gc":                       dto.MetricType_GAUGE,
		"jvm_threads_live_threads":                        dto.MetricType_GAUGE,
		"process_start_time_seconds":                      dto.MetricType_GAUGE,
		"operator_sdk_reconciliations_started_total":      dto.MetricType_COUNTER,
		"operator_sdk_reconciliations_executions_microvm": dto.MetricType_GAUGE,
		// the operator's own
		"microvm_operator_host_last_probe_success_age_seconds": dto.MetricType_GAUGE,
		"microvm_operator_deploys_total":                       dto.MetricType_COUNTER,
		"microvm_operator_rollbacks_total":                     dto.MetricType_COUNTER,
		"microvm_operator_build_failures_total":                dto.MetricType_COUNTER,
		"microvm_operator_build_duration_seconds":              dto.MetricType_HISTOGRAM,
		"microvm_operator_microvms":                            dto.MetricType_GAUGE,
		"microvm_operator_ssh_logins_total":                    dto.MetricType_COUNTER,
	}
	for name, kind := range want {
		family, ok := scrape.Families[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		if family.GetType() != kind {
			t.Errorf("%s is a %v, expected a %v", name, family.GetType(), kind)
		}
	}

	age := series(scrape, "microvm_operator_host_last_probe_success_age_seconds", "host", host)
	if age == nil || age.GetGauge().GetValue() < 0 || age.GetGauge().GetValue() > 120 {
		t.Errorf("host %q: its last successful probe should be recent, got %v", host, age)
	}
	if deployed := series(scrape, "microvm_operator_deploys_total", "reason", "Deployed"); deployed == nil ||
		deployed.GetCounter().GetValue() < 1 {
		t.Errorf("expected at least one Deployed, got %v", deployed)
	}
	if running := series(scrape, "microvm_operator_microvms", "phase", "Running"); running == nil ||
		running.GetGauge().GetValue() < 1 {
		t.Errorf("expected a Running MicroVM, got %v", running)
	}
	if builds := series(scrape, "microvm_operator_build_duration_seconds", "result", "succeeded"); builds == nil ||
		builds.GetHistogram().GetSampleCount() < 1 || len(builds.GetHistogram().GetBucket()) < 5 {
		t.Errorf("expected a succeeded build with its buckets, got %v", builds)
	}
	// Low cardinality: nothing but the host metrics carries a per-object label.
	for name, family := range scrape.Families {
		for _, metric := range family.GetMetric() {
			for _, label := range metric.GetLabel() {
				switch label.GetName() {
				case "name", "namespace", "vm", "microvm", "resource":
					t.Errorf("%s has a per-resource label %s=%s", name, label.GetName(), label.GetValue())
				case "host":
					if !strings.HasPrefix(name, "microvm_operator_") {
						t.Errorf("%s has a host label", name)
					}
				}
			}
		}
	}
}

// series is the metric of family name whose label has value, or nil.
func series(scrape *Scrape, name, label, value string) *dto.Metric {
	family := scrape.Families[name]
	if family == nil {
		return nil
	}
	for _, metric := range family.GetMetric() {
		for _, l := range metric.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return metric
			}
		}
	}
	return nil
}
