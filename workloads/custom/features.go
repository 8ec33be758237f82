package custom

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wasmbench/bench/internal/wasmfeat"
	"github.com/wasmbench/bench/runners"
)

// featureWords are, for each feature beyond WebAssembly 1.0 that a runtime
// may lack, words by which runtimes' messages name it.
var featureWords = map[wasmfeat.Feature][]string{
	wasmfeat.SIMD:                  {"simd", "v128", "i8x16", "f32x4", "i32x4"},
	wasmfeat.Threads:               {"thread", "atomic", "shared memory"},
	wasmfeat.TailCalls:             {"tail", "return_call"},
	wasmfeat.Exceptions:            {"exception", "tag section", "throw"},
	wasmfeat.ExtendedConst:         {"extended", "const expr"},
	wasmfeat.TypedFuncRefs:         {"typed function", "call_ref", "func ref"},
	wasmfeat.BulkMemory:            {"bulk", "memory.copy", "memory.fill", "memory.init", "data.drop", "data count"},
	wasmfeat.ReferenceTypes:        {"reference type", "reference-type", "externref", "ref.func", "ref.null"},
	wasmfeat.MultiValue:            {"multi-value", "multi value", "multivalue", "multiple result", "multiple return"},
	wasmfeat.SignExtension:         {"sign-ext", "sign ext", "extend8_s", "extend16_s", "extend32_s"},
	wasmfeat.NonTrappingFloatToInt: {"trunc_sat", "saturat", "non-trapping"},
}

// moduleFeatures lists the features beyond WebAssembly 1.0 that a module
// uses, by name ("SIMD", "threads (atomics)"), read from its binary by
// internal/wasmfeat: no wasm runtime is linked.
func moduleFeatures(path string) ([]string, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fs, err := wasmfeat.Detect(wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	var used []string
	for _, f := range fs {
		used = append(used, f.String())
	}
	return used, nil
}

// Explain names the feature a runtime lacks when it refuses to compile a
// module that uses features beyond WebAssembly 1.0: a runtime's own
// message may not (wasmer's single-pass compiler says "not yet
// implemented: V128Const" for SIMD). The failure becomes KindUnsupported
// when the feature is identified; other errors are returned as they are.
// The module's features are read once.
func (c *Checker) Explain(e *runners.Error) *runners.Error {
	if e == nil || e.Kind != runners.KindCompile {
		return e
	}
	if !c.featDone {
		c.featDone = true
		c.features, c.featErr = moduleFeatures(c.m.Path)
	}
	if c.featErr != nil || len(c.features) == 0 {
		return e // not a feature question: the module is invalid, or plain WebAssembly 1.0
	}
	// The module's own name ("simd.wasm") says nothing about the runtime.
	msg := strings.ToLower(strings.ReplaceAll(e.Message, filepath.Base(c.m.Path), ""))
	var named []string
	for _, f := range wasmfeat.All() {
		if !slices.Contains(c.features, f.String()) {
			continue
		}
		for _, w := range featureWords[f] {
			if strings.Contains(msg, w) {
				named = append(named, f.String())
				break
			}
		}
	}
	out := *e
	switch {
	case len(named) == 1:
		out.Kind = runners.KindUnsupported
		out.Message = fmt.Sprintf("%s uses %s, which this runtime and tier reject: %s", filepath.Base(c.m.Path), named[0], e.Message)
	case len(c.features) == 1:
		out.Kind = runners.KindUnsupported
		out.Message = fmt.Sprintf("%s uses %s (its only feature beyond WebAssembly 1.0), which this runtime and tier reject: %s",
			filepath.Base(c.m.Path), c.features[0], e.Message)
	default:
		out.Message = fmt.Sprintf("%s (the module uses %s beyond WebAssembly 1.0; one of them may be what this runtime and tier lack)",
			e.Message, strings.Join(c.features, ", "))
	}
	return &out
}
