// Package rules reads the alert rules of docs/operations.md, the block after the
// "<!-- alert-rules" marker: a PrometheusRule, whose spec.groups is a Prometheus rule file.
package rules

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

const marker = "<!-- alert-rules"

// FromDocs returns the rule file (groups: ...) of the PrometheusRule in the markdown file at path.
func FromDocs(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc := string(text)
	at := strings.Index(doc, marker)
	if at < 0 {
		return nil, fmt.Errorf("%s has no %q marker", path, marker)
	}
	rest := doc[at:]
	start := strings.Index(rest, "```yaml\n")
	if start < 0 {
		return nil, fmt.Errorf("%s: no ```yaml block after the marker", path)
	}
	block := rest[start+len("```yaml\n"):]
	end := strings.Index(block, "\n```")
	if end < 0 {
		return nil, fmt.Errorf("%s: the yaml block does not end", path)
	}
	var rule struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Groups []yaml.Node `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(block[:end]), &rule); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rule.Kind != "PrometheusRule" || rule.APIVersion != "monitoring.coreos.com/v1" {
		return nil, fmt.Errorf("%s: expected a monitoring.coreos.com/v1 PrometheusRule, got %s %s",
			path, rule.APIVersion, rule.Kind)
	}
	return yaml.Marshal(map[string]any{"groups": rule.Spec.Groups})
}
