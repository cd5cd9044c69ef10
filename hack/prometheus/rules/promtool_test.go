package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `promtool check rules` itself on the rules of docs/operations.md, when promtool of the pinned
// Prometheus release was built (hack/promtool-binary.sh; optional, as it takes 10 CPU-minutes).
func TestPromtoolChecksTheRulesWhenBuilt(t *testing.T) {
	promtool := promtoolPath(t)
	if _, err := os.Stat(promtool); err != nil {
		t.Skipf("%s is not built (hack/promtool-binary.sh builds it); the rulefmt test stands in", promtool)
	}
	file, err := FromDocs(filepath.Join("..", "..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(t.TempDir(), "microvm-operator.rules.yaml")
	if err := os.WriteFile(rules, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput()
	t.Logf("promtool check rules:\n%s", out)
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check rules failed: %v", err)
	}
}

// promtoolPath is $PROMTOOL, else where hack/promtool-binary.sh caches the release go.mod pins.
func promtoolPath(t *testing.T) string {
	if path := os.Getenv("PROMTOOL"); path != "" {
		return path
	}
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	version := regexp.MustCompile(`github.com/prometheus/prometheus (v[0-9.]+)`).FindSubmatch(mod)
	if version == nil {
		t.Fatal("go.mod pins no github.com/prometheus/prometheus")
	}
	cache := os.Getenv("MICROVM_OPERATOR_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "microvm-operator")
	}
	return filepath.Join(cache, "promtool", string(version[1]), "promtool")
}
