package rules

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// The alert rules of docs/operations.md pass what `promtool check rules` checks: Prometheus'
// rulefmt.Parse (known fields only, every expression parsed by the PromQL parser with promtool's
// options, every annotation template parsed), and no two rules alike. promtool itself is not
// built: it pulls in every service discovery of Prometheus (tens of minutes on a CI machine).
func TestTheAlertRulesInTheDocsAreValid(t *testing.T) {
	file, err := FromDocs(filepath.Join("..", "..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	groups, errs := rulefmt.Parse(file, false, model.UTF8Validation, parser.NewParser(parser.Options{}), logger)
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	seen := map[string]bool{}
	count := 0
	for _, group := range groups.Groups {
		for _, rule := range group.Rules {
			count++
			if rule.Alert == "" {
				t.Errorf("a rule without alert: %s", rule.Expr)
			}
			if seen[rule.Alert] {
				t.Errorf("alert %s twice", rule.Alert)
			}
			seen[rule.Alert] = true
			if rule.Annotations["summary"] == "" {
				t.Errorf("alert %s has no summary", rule.Alert)
			}
		}
	}
	t.Logf("%d alert rules in %d groups parsed", count, len(groups.Groups))
}

// The checker is not blind: a rule with a broken expression or an unknown field is refused.
func TestABrokenRuleIsRefused(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	p := parser.NewParser(parser.Options{})
	for name, file := range map[string]string{
		"expression": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum by (host (x)\n",
		"field":      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        fore: 5m\n",
		"template":   "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          summary: \"{{ $labels.x \"\n",
	} {
		if _, errs := rulefmt.Parse([]byte(file), false, model.UTF8Validation, p, logger); len(errs) == 0 {
			t.Errorf("a broken %s was accepted", name)
		}
	}
}
