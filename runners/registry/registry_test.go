package registry

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	names := map[string]bool{}
	binaries := map[string]bool{}
	for _, r := range Runtimes {
		if r.Name == "" || r.Binary == "" || r.Hint == "" {
			t.Errorf("%+v lacks a name, a binary or a hint", r)
		}
		if names[r.Name] || binaries[r.Binary] {
			t.Errorf("%s: name or binary %s listed twice", r.Name, r.Binary)
		}
		names[r.Name], binaries[r.Binary] = true, true
		if len(r.Tiers) == 0 {
			t.Errorf("%s has no tiers", r.Name)
		}
		seen := map[string]bool{}
		for _, tier := range r.Tiers {
			if tier.Name == "" || seen[tier.Name] {
				t.Errorf("%s: tier %q empty or listed twice", r.Name, tier.Name)
			}
			seen[tier.Name] = true
			if tier.Kind == KindUnknown || tier.Kind.String() == "" {
				t.Errorf("%s tier %s has no kind", r.Name, tier.Name)
			}
			if (tier.Kind == Native) != r.Native {
				t.Errorf("%s tier %s: kind %s, but the runtime's Native is %v", r.Name, tier.Name, tier.Kind, r.Native)
			}
		}
		if r.Host != "" && r.Host != HostNode {
			t.Errorf("%s: unknown host %q", r.Name, r.Host)
		}
		if r.Cross != nil && (r.Cross.Module == "" || r.Cross.Package == "") {
			t.Errorf("%s: cross recipe lacks a module or a package: %+v", r.Name, r.Cross)
		}
	}
	style := map[string]bool{}
	for _, s := range TierStyles {
		if style[s.Name] || s.Glyph == "" {
			t.Errorf("tier style %+v listed twice or without a glyph", s)
		}
		style[s.Name] = true
	}
}

// TestKinds pins the kinds the scheduler branches on: interpreters are
// out of the default matrix, and interpreters and baselines batch fewer
// calls in the call-cost task.
func TestKinds(t *testing.T) {
	var interp, baseline []string
	for _, r := range Runtimes {
		for _, tier := range r.Tiers {
			switch tier.Kind {
			case Interpreter:
				interp = append(interp, r.Name+"/"+tier.Name)
			case Baseline:
				baseline = append(baseline, r.Name+"/"+tier.Name)
			}
		}
	}
	wantInterp := []string{"wazero/interp", "wasmtime/interpreter", "wasmtime39/interpreter", "wasmtime39/interpreter-aot"}
	wantBaseline := []string{"wasmtime/baseline", "wasmtime39/baseline", "wasmer/baseline", "node/baseline"}
	if !slices.Equal(interp, wantInterp) || !slices.Equal(baseline, wantBaseline) {
		t.Errorf("interpreters %v, baselines %v; want %v, %v", interp, baseline, wantInterp, wantBaseline)
	}
	if Kind("wazero", "interp") != Interpreter || Kind("wazero", "nope") != KindUnknown || Kind("nope", "interp") != KindUnknown {
		t.Error("Kind does not look up by runtime and tier")
	}
}

// makeRules reads Makefile and mk/*.mk: the files in BUILD (what `make
// build` makes) and the targets that have a rule, both as bin/<file>.
func makeRules(t *testing.T) (build, rules map[string]bool) {
	t.Helper()
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "mk", "*.mk"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, f := range append([]string{filepath.Join(root, "Makefile")}, files...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(b)
		text.WriteByte('\n')
	}
	src := strings.ReplaceAll(text.String(), "\\\n", " ")
	build, rules = map[string]bool{}, map[string]bool{}
	buildLine := regexp.MustCompile(`(?m)^BUILD\s*[:+]?=(.*)$`)
	for _, m := range buildLine.FindAllStringSubmatch(src, -1) {
		for _, f := range strings.Fields(m[1]) {
			if p, ok := strings.CutPrefix(f, "$(BIN)/"); ok {
				build["bin/"+p] = true
			}
		}
	}
	ruleLine := regexp.MustCompile(`(?m)^\$\(BIN\)/(\S+):`)
	for _, m := range ruleLine.FindAllStringSubmatch(src, -1) {
		rules["bin/"+m[1]] = true
	}
	if len(build) == 0 || len(rules) == 0 {
		t.Fatal("found no BUILD files or no $(BIN) rules in Makefile and mk/*.mk")
	}
	return build, rules
}

// TestMakeBuildsEveryWorker checks the registry against the make rules:
// every runtime's worker and files have a rule that `make build` runs,
// and every worker `make build` makes has an entry.
func TestMakeBuildsEveryWorker(t *testing.T) {
	build, rules := makeRules(t)
	owned := map[string]string{}
	for _, r := range Runtimes {
		targets := []string{r.MakeTarget()}
		for _, f := range append(append([]string(nil), r.Files...), r.Builds...) {
			targets = append(targets, "bin/"+f)
		}
		for _, tg := range targets {
			owned[tg] = r.Name
			if !rules[tg] {
				t.Errorf("%s: no make rule for %s in Makefile or mk/*.mk", r.Name, tg)
			}
			if !build[tg] {
				t.Errorf("%s: %s is not in BUILD: make build does not make it", r.Name, tg)
			}
		}
	}
	for f := range build {
		worker := strings.HasPrefix(f, "bin/bench-") || strings.HasPrefix(f, "bin/lib/")
		if worker && owned[f] == "" {
			t.Errorf("make build makes %s, which no registry entry names (Binary, Files or Builds)", f)
		}
	}
}

// Every runtime can be deployed on both architectures: a compiled worker
// has a cross-build recipe that mirrors its make rule (the module and the
// package of its main exist); native workers build their workloads with
// the cross compilers instead, and a script worker runs on either.
func TestEveryWorkerCrossBuilds(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, r := range Runtimes {
		if r.Native || r.Host != "" {
			continue
		}
		if r.Cross == nil {
			t.Errorf("%s: no cross-build recipe: bench deploy aws cannot build its worker for the other architecture", r.Name)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, r.Cross.Module, "go.mod")); err != nil {
			t.Errorf("%s: cross recipe's module %s has no go.mod", r.Name, r.Cross.Module)
		}
		if _, err := os.Stat(filepath.Join(root, r.Cross.Module, r.Cross.Package)); err != nil {
			t.Errorf("%s: cross recipe's package %s not found in %s", r.Name, r.Cross.Package, r.Cross.Module)
		}
	}
}
