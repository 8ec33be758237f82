package run

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wasmbench/bench/workloads"
)

// ErrBadOption marks an error in what the user asked for (a name that
// does not exist, a parameter out of range, filters that select nothing):
// the CLI's usage error.
var ErrBadOption = errors.New("bad option")

// optionError is an error about the options; its message is err's.
type optionError struct{ err error }

func (e *optionError) Error() string   { return e.err.Error() }
func (e *optionError) Unwrap() []error { return []error{e.err, ErrBadOption} }

// badOption marks err as an ErrBadOption, keeping its message.
func badOption(err error) error {
	if err == nil {
		return nil
	}
	return &optionError{err}
}

// explainNothing says which filter removed what when the options select
// no cell: a runtime without the asked tier, a workload without the asked
// language, the native runtime with --wasm modules. (Unavailable runtimes
// and tiers are explained by Plan's notes.)
func explainNothing(o Options, rts []*Runtime) []string {
	var why []string
	for _, r := range rts {
		if (len(o.Runtimes) > 0 && !contains(o.Runtimes, r.Name)) || r.Unavailable != "" {
			continue
		}
		if r.Native && len(o.Custom) > 0 {
			why = append(why, "native runs no --wasm module (a module of your own has no native build)")
			continue
		}
		if len(o.Tiers) == 0 {
			continue
		}
		has := false
		var tiers []string
		for _, t := range r.Tiers {
			has = has || contains(o.Tiers, t.Name)
			if t.Unavailable != "" {
				tiers = append(tiers, t.Name+" (unavailable here)")
			} else {
				tiers = append(tiers, t.Name)
			}
		}
		if !has {
			why = append(why, fmt.Sprintf("%s has no tier %s; its tiers: %s", r.Name, strings.Join(o.Tiers, " or "), strings.Join(tiers, ", ")))
		}
	}
	if len(o.Custom) == 0 && len(o.Langs) > 0 {
		for _, w := range workloads.All() {
			if len(o.Workloads) > 0 && !contains(o.Workloads, w.Name) {
				continue
			}
			has := false
			for _, l := range w.Langs {
				has = has || contains(o.Langs, l)
			}
			if !has {
				why = append(why, fmt.Sprintf("%s has no %s build; its languages: %s", w.Name, strings.Join(o.Langs, " or "), strings.Join(w.Langs, ", ")))
			}
		}
	}
	return why
}
