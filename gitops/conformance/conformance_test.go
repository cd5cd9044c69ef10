package conformance

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	fluxstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

const (
	customizations = "../argocd/resource_customizations/microvm-operator.io"
	gitopsDoc      = "../../docs/gitops.md"
)

var kinds = []string{"MicroVM", "MicroVMHost"}

// expectation is one row of the table "Every state, as each tool reads it" in docs/gitops.md.
type expectation struct {
	state   string
	kstatus string
	argo    string
}

var fixtureCell = regexp.MustCompile("`((?:MicroVM|MicroVMHost)/testdata/[a-z0-9_]+\\.yaml)`")

// documented reads the expectation table of docs/gitops.md: fixture -> what each tool shows.
func documented(t *testing.T) map[string]expectation {
	t.Helper()
	file, err := os.Open(gitopsDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	table := map[string]expectation{}
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		cells := strings.Split(scanner.Text(), "|")
		if len(cells) < 6 {
			continue
		}
		match := fixtureCell.FindStringSubmatch(cells[2])
		if match == nil {
			continue
		}
		if _, seen := table[match[1]]; seen {
			t.Errorf("docs/gitops.md lists %s twice", match[1])
		}
		table[match[1]] = expectation{
			state:   strings.TrimSpace(cells[1]),
			kstatus: firstWord(cells[3]),
			argo:    firstWord(cells[4]),
		}
	}
	if len(table) == 0 {
		t.Fatal("docs/gitops.md has no expectation table")
	}
	return table
}

func firstWord(cell string) string {
	fields := strings.Fields(strings.ReplaceAll(cell, "*", ""))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// fixtures lists every testdata file as KIND/testdata/NAME.yaml.
func fixtures(t *testing.T) []string {
	t.Helper()
	var all []string
	for _, kind := range kinds {
		files, err := filepath.Glob(filepath.Join(customizations, kind, "testdata", "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			all = append(all, kind+"/testdata/"+filepath.Base(f))
		}
	}
	sort.Strings(all)
	return all
}

func load(t *testing.T, fixture string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(customizations, fixture))
	if err != nil {
		t.Fatal(err)
	}
	asJSON, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(asJSON); err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	return obj
}

func TestEveryFixtureIsDocumentedAndEveryDocumentedFixtureExists(t *testing.T) {
	table := documented(t)
	present := map[string]bool{}
	for _, fixture := range fixtures(t) {
		present[fixture] = true
		if _, ok := table[fixture]; !ok {
			t.Errorf("%s is not in the table of docs/gitops.md", fixture)
		}
	}
	for fixture := range table {
		if !present[fixture] {
			t.Errorf("docs/gitops.md lists %s, which does not exist", fixture)
		}
	}
}

// TestKstatus: sigs.k8s.io/cli-utils (kstatus, what kubectl, Config Sync and most tools use) and
// Flux's fork (what kustomize-controller and helm-controller use) read each fixture as documented.
func TestKstatus(t *testing.T) {
	for fixture, want := range documented(t) {
		t.Run(fixture, func(t *testing.T) {
			obj := load(t, fixture)
			upstream, err := kstatus.Compute(obj)
			if err != nil {
				t.Fatal(err)
			}
			flux, err := fluxstatus.Compute(obj)
			if err != nil {
				t.Fatal(err)
			}
			if string(upstream.Status) != want.kstatus {
				t.Errorf("%s (%s): sigs.k8s.io/cli-utils says %s (%q), docs/gitops.md says %s",
					fixture, want.state, upstream.Status, upstream.Message, want.kstatus)
			}
			if string(flux.Status) != want.kstatus {
				t.Errorf("%s (%s): github.com/fluxcd/cli-utils says %s (%q), docs/gitops.md says %s",
					fixture, want.state, flux.Status, flux.Message, want.kstatus)
			}
			t.Logf("%-55s kstatus %-11s %s", fixture, upstream.Status, upstream.Message)
		})
	}
}

type healthTest struct {
	HealthStatus Health `json:"healthStatus"`
	InputPath    string `json:"inputPath"`
}

func healthTests(t *testing.T, kind string) []healthTest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(customizations, kind, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Tests []healthTest `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.Tests
}

func script(t *testing.T, kind string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(customizations, kind, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestArgoCdHealthScripts: each health.lua gives what health_test.yaml expects (Argo CD's own test
// format, which runs the script alone) in both of Argo CD's modes: as installed through argocd-cm
// (no useOpenLibs) and with useOpenLibs.
func TestArgoCdHealthScripts(t *testing.T) {
	for _, kind := range kinds {
		for _, test := range healthTests(t, kind) {
			for _, openLibs := range []bool{false, true} {
				obj := load(t, kind+"/"+test.InputPath)
				got, err := RunHealthScript(obj, script(t, kind), openLibs)
				if err != nil {
					t.Errorf("%s/%s (useOpenLibs=%v): %v", kind, test.InputPath, openLibs, err)
					continue
				}
				if got != test.HealthStatus {
					t.Errorf("%s/%s (useOpenLibs=%v):\n got  %s / %s\n want %s / %s", kind,
						test.InputPath, openLibs, got.Status, got.Message,
						test.HealthStatus.Status, test.HealthStatus.Message)
				}
			}
		}
	}
}

// TestArgoCdShows: what the Argo CD UI shows for each fixture (the Pending deletion rule first,
// then the script without useOpenLibs) is what docs/gitops.md says.
func TestArgoCdShows(t *testing.T) {
	for fixture, want := range documented(t) {
		kind := strings.SplitN(fixture, "/", 2)[0]
		got, err := ArgoHealth(load(t, fixture), script(t, kind), false)
		if err != nil {
			t.Errorf("%s: %v", fixture, err)
			continue
		}
		if got.Status != want.argo {
			t.Errorf("%s (%s): Argo CD shows %s (%q), docs/gitops.md says %s",
				fixture, want.state, got.Status, got.Message, want.argo)
		}
		t.Logf("%-55s argocd  %-11s %s", fixture, got.Status, got.Message)
	}
}

func TestEveryFixtureIsInHealthTest(t *testing.T) {
	listed := map[string]bool{}
	for _, kind := range kinds {
		for _, test := range healthTests(t, kind) {
			listed[kind+"/"+test.InputPath] = true
		}
	}
	for _, fixture := range fixtures(t) {
		if !listed[fixture] {
			t.Errorf("%s is not in its health_test.yaml", fixture)
		}
	}
}

// TestTheLibrariesAreArgoCds: the VM above is as strict as Argo CD's, so a script that needs a
// library Argo CD does not open fails here as it fails there.
func TestTheLibrariesAreArgoCds(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]interface{}{"kind": "X"}}
	probe := func(expr string, openLibs bool) string {
		got, err := RunHealthScript(obj, "return {status='Healthy', message=tostring("+expr+")}", openLibs)
		if err != nil {
			return "error"
		}
		return got.Message
	}
	// Argo CD's safe os registers into the already loaded "table" module, which gopher-lua then
	// leaves as it is: table has no time or date, and os is reachable only through require.
	for _, expr := range []string{"string", "math", "os", "io", "debug", "coroutine", "table.time", "table.date"} {
		if got := probe(expr, false); got != "nil" {
			t.Errorf("without useOpenLibs, %s is %s; Argo CD does not open it", expr, got)
		}
	}
	for _, expr := range []string{"table.insert", "require('os').time", "require('os').date", "pairs", "ipairs", "tostring", "pcall"} {
		if got := probe(expr, false); got == "nil" || got == "error" {
			t.Errorf("without useOpenLibs, %s is %s; Argo CD opens it", expr, got)
		}
	}
	if got := probe("require('os').exit", false); got != "nil" {
		t.Errorf("the safe os has exit: %s", got)
	}
	for _, expr := range []string{"string.format", "math.floor", "os.getenv"} {
		if got := probe(expr, true); got == "nil" || got == "error" {
			t.Errorf("with useOpenLibs, %s is %s; Argo CD opens it", expr, got)
		}
	}
	deleting := load(t, "MicroVM/testdata/healthy_running.yaml")
	deleting.SetDeletionTimestamp(&metav1.Time{Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)})
	if got, _ := ArgoHealth(deleting, script(t, "MicroVM"), false); got != (Health{"Progressing", "Pending deletion"}) {
		t.Errorf("a deleted object shows %v, not Progressing / Pending deletion", got)
	}
}

// liveDir holds the live objects FixtureDriftIT wrote, one per fixture of the same path.
const liveDir = "../../target/gitops-live"

// TestLiveObjects: the live objects the operator wrote in each state (FixtureDriftIT, which runs
// before this module in hack/test.sh) read as docs/gitops.md says, with kstatus, Flux's fork and
// Argo CD, messages included: the operator's own words reach each tool. Skipped when the
// integration tests did not run.
func TestLiveObjects(t *testing.T) {
	table := documented(t)
	found := 0
	for fixture, want := range table {
		path := filepath.Join(liveDir, fixture)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		found++
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		asJSON, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(asJSON); err != nil {
			t.Fatal(err)
		}
		upstream, _ := kstatus.Compute(obj)
		flux, _ := fluxstatus.Compute(obj)
		kind := strings.SplitN(fixture, "/", 2)[0]
		argo, err := ArgoHealth(obj, script(t, kind), false)
		if err != nil {
			t.Errorf("live %s: %v", fixture, err)
		}
		if string(upstream.Status) != want.kstatus || string(flux.Status) != want.kstatus || argo.Status != want.argo {
			t.Errorf("live %s (%s): kstatus %s, Flux %s, Argo CD %s; docs/gitops.md says %s and %s",
				fixture, want.state, upstream.Status, flux.Status, argo.Status, want.kstatus, want.argo)
		}
		t.Logf("live %-50s kstatus %-11s %q | argocd %-11s %q", fixture, upstream.Status,
			upstream.Message, argo.Status, argo.Message)
	}
	if found == 0 {
		t.Skip("no live objects in " + liveDir + " (FixtureDriftIT did not run)")
	}
}
