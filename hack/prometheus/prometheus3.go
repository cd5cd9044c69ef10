package prometheus

import (
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/prometheus/model/textparse"
)

// ScrapeAsPrometheus3 does what a Prometheus 3 scrape does with a response: it picks the parser
// by the Content-Type with no fallback_scrape_protocol (the default; a blank or unknown
// Content-Type fails the scrape, with Prometheus' own message) and reads every entry. It returns
// the number of series read.
func ScrapeAsPrometheus3(body []byte, contentType string) (int, error) {
	parser, err := textparse.New(body, contentType, nil, textparse.ParserOptions{})
	if parser == nil {
		if err == nil {
			err = errors.New("no parser")
		}
		return 0, fmt.Errorf("Prometheus 3 refuses the scrape: %w", err)
	}
	if err != nil {
		return 0, fmt.Errorf("Prometheus 3 warns: %w", err)
	}
	series := 0
	for {
		entry, err := parser.Next()
		if errors.Is(err, io.EOF) {
			return series, nil
		}
		if err != nil {
			return series, fmt.Errorf("Prometheus 3 cannot parse the scrape: %w", err)
		}
		if entry == textparse.EntrySeries || entry == textparse.EntryHistogram {
			series++
		}
	}
}
