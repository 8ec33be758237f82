package registry

import (
	"fmt"
	"image/color"
)

// TierKind is what a tier does with a module before and while it runs.
type TierKind int

// Tier kinds.
const (
	// KindUnknown is the kind of a tier the registry does not list.
	KindUnknown TierKind = iota
	// Native runs the workload's native executable, not wasm.
	Native
	// Interpreter executes wasm (or a bytecode translated from it) without
	// compiling it to machine code.
	Interpreter
	// Baseline compiles in one fast pass to unoptimized machine code.
	Baseline
	// Optimizing compiles with an optimizing compiler when the module is
	// loaded.
	Optimizing
	// Tiered starts in a baseline compiler and recompiles hot functions
	// with an optimizing one while the module runs (V8's default).
	Tiered
	// Precompiled loads machine code an optimizing compiler made in a
	// prepare step.
	Precompiled
)

var kindNames = [...]string{"unknown", "native", "interpreter", "baseline", "optimizing", "tiered", "precompiled"}

func (k TierKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("TierKind(%d)", int(k))
	}
	return kindNames[k]
}

// Tier is one way a runtime runs a module.
type Tier struct {
	// Name is the tier's name in results and on the command line; the
	// worker's hello lists the same names, in the same order.
	Name string
	Kind TierKind
}

// Cross is how a runtime's worker is built for an architecture other
// than this machine's; it mirrors the worker's rule in mk/*.mk.
type Cross struct {
	// Module is the folder, relative to the source tree, holding the
	// worker's go.mod.
	Module string
	// Package is the worker's main package, relative to Module.
	Package string
	CGO     bool
	Tags    string
	LDFlags string
	// Setup names a step the deploy builder runs first (it adds cgo
	// flags and the files beside the binary); deploy/aws keeps the step
	// under this name. "" when none.
	Setup string
}

// Display is how reports show a runtime.
type Display struct {
	// Colour is the runtime's colour in every chart (the Okabe-Ito
	// palette, which colour-blind readers can tell apart).
	Colour color.RGBA
}

// Host names how a worker that is a script is started.
const (
	// HostNode: node runs the script, with the V8 flags of the tier
	// (runners/node's Command builds the command line).
	HostNode = "node"
)

// Runtime is one runtime bench knows.
type Runtime struct {
	Name string
	// Binary is the worker's file name in the bin folder; `make build`
	// makes it (MakeTarget).
	Binary string
	// Native runtimes run native executables, not wasm.
	Native bool
	// Files are what the runtime's worker needs beside its binary
	// (relative to the bin folder), counted in its size.
	Files []string
	// Builds are other files `make build` makes for the runtime, which
	// the worker does not need and its size does not count (the Node.js
	// Lambda handler, which deploy/pkg finds beside the worker script).
	Builds []string
	// Hint says how to make the runtime available.
	Hint string
	// Confine is set for a runtime whose WASI cannot keep a guest inside
	// its preopened folders by itself (Node.js's node:wasi, Wasmer 2.0's;
	// the sandbox suite shows how they fail): on the local target a job
	// with a preopened folder runs inside bubblewrap (runners/confine).
	Confine bool
	// Host is "" when Binary is an executable the orchestrator runs, or
	// the Host* constant naming what runs the Binary script, one process
	// per tier.
	Host string
	// Tiers are the runtime's tiers, in the order its hello lists them.
	Tiers []Tier
	// Cross is how deploy builds the worker for another architecture;
	// nil when it cannot (it then says so for that architecture).
	Cross *Cross
	// Display is how reports show the runtime: its fixed colour, and its
	// place in their order (this table's order among the runtimes with a
	// Display). Nil: reports show it as a runtime bench does not know,
	// after the others by name in a spare colour.
	Display *Display
}

// MakeTarget is the make target that builds the runtime's worker.
func (r *Runtime) MakeTarget() string { return "bin/" + r.Binary }

// TierNames lists the runtime's tiers' names, in order.
func (r *Runtime) TierNames() []string {
	var n []string
	for _, t := range r.Tiers {
		n = append(n, t.Name)
	}
	return n
}

// Kind is the kind of the runtime's tier, KindUnknown for a tier it does
// not list.
func (r *Runtime) Kind(tier string) TierKind {
	for _, t := range r.Tiers {
		if t.Name == tier {
			return t.Kind
		}
	}
	return KindUnknown
}

// Runtimes is the table, in the order bench lists and discovers runtimes.
var Runtimes = []Runtime{
	{
		Name: "native", Binary: "bench-native", Native: true,
		Hint:    "make build (needs clang, go and /usr/bin/rustc for the native builds)",
		Tiers:   []Tier{{"native", Native}},
		Display: &Display{Colour: color.RGBA{0x4d, 0x4d, 0x4d, 0xff}},
	},
	{
		Name: "wazero", Binary: "bench-wazero",
		Hint:    "make build",
		Tiers:   []Tier{{"interp", Interpreter}, {"jit", Optimizing}, {"aot", Precompiled}},
		Cross:   &Cross{Module: ".", Package: "./cmd/bench-wazero"},
		Display: &Display{Colour: color.RGBA{0x00, 0x72, 0xb2, 0xff}},
	},
	{
		Name: "wasmtime", Binary: "bench-wasmtime",
		Hint: "make build (cgo: needs gcc)",
		// baseline (Winch) and interpreter (Pulley) are listed and
		// unavailable in wasmtime-go v25.
		Tiers: []Tier{{"jit", Optimizing}, {"aot", Precompiled}, {"baseline", Baseline}, {"interpreter", Interpreter}},
		Cross: &Cross{Module: "runners/wasmtime", Package: "./cmd/bench-wasmtime", CGO: true, Tags: "netgo,osusergo",
			LDFlags: `-s -w -linkmode external -extldflags "-static"`},
		Display: &Display{Colour: color.RGBA{0xd5, 0x5e, 0x00, 0xff}},
	},
	{
		Name: "wasmtime39", Binary: "bench-wasmtime39",
		Hint: "make build (cgo: needs gcc)",
		// interpreter-aot is Pulley bytecode made by prepare: still an
		// interpreter. baseline (Winch) is listed and unavailable.
		Tiers: []Tier{{"jit", Optimizing}, {"aot", Precompiled}, {"interpreter", Interpreter},
			{"interpreter-aot", Interpreter}, {"baseline", Baseline}},
		// The same static cgo build as wasmtime's, from its own module.
		Cross: &Cross{Module: "runners/wasmtime/wasmtime39", Package: "./cmd/bench-wasmtime39", CGO: true, Tags: "netgo,osusergo",
			LDFlags: `-s -w -linkmode external -extldflags "-static"`},
		// No Display yet: reports show it as a runtime they do not know
		// (after the others, in a spare colour), as they did before the
		// registry; giving it a place and a colour is a change of its own.
	},
	{
		Name: "wasmer", Binary: "bench-wasmer", Files: []string{"lib/libwasmer.so"},
		Hint: "make build (cgo: needs gcc)", Confine: true,
		Tiers: []Tier{{"baseline", Baseline}, {"jit", Optimizing}, {"aot", Precompiled}, {"llvm", Optimizing}},
		Cross: &Cross{Module: "runners/wasmer", Package: "./cmd/bench-wasmer", CGO: true, Tags: "custom_wasmer_runtime",
			LDFlags: "-s -w", Setup: "wasmer"},
		Display: &Display{Colour: color.RGBA{0x00, 0x9e, 0x73, 0xff}},
	},
	{
		Name: "node", Binary: "bench-node.mjs", Builds: []string{"bench-node-lambda.mjs"},
		Hint:    "install Node.js >= 18 (Debian: apt-get install nodejs) and make build",
		Confine: true, Host: HostNode,
		// aot is listed and unavailable: Node.js cannot save compiled
		// wasm code.
		Tiers:   []Tier{{"baseline", Baseline}, {"jit", Optimizing}, {"tiered", Tiered}, {"aot", Precompiled}},
		Display: &Display{Colour: color.RGBA{0xe6, 0x9f, 0x00, 0xff}},
	},
}

// Names lists the runtimes' names, in table order.
func Names() []string {
	var n []string
	for _, r := range Runtimes {
		n = append(n, r.Name)
	}
	return n
}

// Lookup finds a runtime by name.
func Lookup(name string) (*Runtime, bool) {
	for i := range Runtimes {
		if Runtimes[i].Name == name {
			return &Runtimes[i], true
		}
	}
	return nil, false
}

// Kind is the kind of a runtime's tier; KindUnknown when the registry
// lists neither.
func Kind(runtime, tier string) TierKind {
	if r, ok := Lookup(runtime); ok {
		return r.Kind(tier)
	}
	return KindUnknown
}

// DisplayOrder lists the runtimes reports rank, in the order they show
// them; others follow, by name.
func DisplayOrder() []string {
	var n []string
	for _, r := range Runtimes {
		if r.Display != nil {
			n = append(n, r.Name)
		}
	}
	return n
}

// Colours maps each runtime with a Display to its colour.
func Colours() map[string]color.RGBA {
	m := map[string]color.RGBA{}
	for _, r := range Runtimes {
		if r.Display != nil {
			m[r.Name] = r.Display.Colour
		}
	}
	return m
}

// Glyph names a point shape in charts (report/chart draws it).
type Glyph string

// Glyphs.
const (
	GlyphCross    Glyph = "cross"
	GlyphCircle   Glyph = "circle"
	GlyphTriangle Glyph = "triangle"
	GlyphSquare   Glyph = "square"
	GlyphRing     Glyph = "ring"
	GlyphPyramid  Glyph = "pyramid"
)

// TierStyle is how charts draw a tier's lines and points. Tiers are
// styled by name, across runtimes: colour already tells runtimes apart.
type TierStyle struct {
	Name  string
	Glyph Glyph
	// Dash is the line's dash pattern in points (nil: solid).
	Dash []float64
}

// TierStyles are the tiers reports rank, in the order they show them
// (tiers not listed follow, by name, with a glyph picked from their name
// and a solid line).
var TierStyles = []TierStyle{
	{Name: "native", Glyph: GlyphCross},
	{Name: "interp", Glyph: GlyphCircle, Dash: []float64{1.5, 2.5}},
	{Name: "baseline", Glyph: GlyphTriangle, Dash: []float64{6, 2, 1.5, 2}},
	{Name: "jit", Glyph: GlyphSquare},
	{Name: "tiered", Glyph: GlyphRing, Dash: []float64{5, 3}},
	{Name: "aot", Glyph: GlyphPyramid, Dash: []float64{9, 3}},
}

// TierOrder lists the names of TierStyles, in order.
func TierOrder() []string {
	var n []string
	for _, t := range TierStyles {
		n = append(n, t.Name)
	}
	return n
}
