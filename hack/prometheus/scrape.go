// Package prometheus checks the operator's /metrics the way Prometheus scrapes it: Prometheus 3's
// own scrape parser (github.com/prometheus/prometheus/model/textparse, chosen by the Content-Type
// with no fallback protocol, as a default scrape config does) must accept and read it, and the
// body must parse into typed metric families with the text-format parser of
// github.com/prometheus/common/expfmt.
package prometheus

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape: the response's Content-Type, the metric families it parsed into, and the
// number of series Prometheus 3's scrape parser read.
type Scrape struct {
	ContentType string
	Families    map[string]*dto.MetricFamily
	Series      int
}

// Get scrapes url as Prometheus does and returns what it parsed, or why Prometheus would mark the
// target down.
func Get(url string) (*Scrape, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// What Prometheus 3 sends by default (scrape_protocols), text format last.
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,"+
		"application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", url, resp.Status)
	}
	contentType := resp.Header.Get("Content-Type")
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	series, err := ScrapeAsPrometheus3(body, contentType)
	if err != nil {
		return nil, err
	}
	if err := checkContentType(contentType); err != nil {
		return nil, err
	}
	families, err := Parse(string(body))
	if err != nil {
		return nil, err
	}
	return &Scrape{ContentType: contentType, Families: families, Series: series}, nil
}

// checkContentType refuses what Prometheus 3 refuses: a blank Content-Type ("non-compliant scrape
// target sending blank Content-Type and no fallback_scrape_protocol specified for target"), one
// that does not parse, and any but the text format this parser reads.
func checkContentType(contentType string) error {
	if contentType == "" {
		return fmt.Errorf("blank Content-Type: Prometheus 3 refuses the scrape unless " +
			"fallback_scrape_protocol is set")
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil {
		return fmt.Errorf("Content-Type %q does not parse: %w", contentType, err)
	}
	format := expfmt.ResponseFormat(http.Header{"Content-Type": []string{contentType}})
	if format != expfmt.FmtText {
		return fmt.Errorf("Content-Type %q is read as %q, not the text format %q",
			contentType, format, expfmt.FmtText)
	}
	return nil
}

// Parse parses the Prometheus text format with expfmt's parser (the one client_golang and
// Prometheus' own tooling use), with the legacy metric-name rules of format 0.0.4.
func Parse(text string) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	return parser.TextToMetricFamilies(strings.NewReader(text))
}
