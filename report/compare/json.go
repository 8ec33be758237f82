package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/wasmbench/bench/report"
	"github.com/wasmbench/bench/report/stats"
)

// JSONSchema names the layout of WriteJSON's output; it changes only
// when a field changes meaning or goes away (new fields may be added).
const JSONSchema = "bench-compare/1"

// Exit statuses of bench compare, the same numbers as bench's exit codes
// (internal/cli/exit.go, whose test checks they agree).
const (
	ExitNothingToCompare = 5 // no cell is in both runs
	ExitRegressed        = 4 // a row is a regression (FailOnRegression)
)

// Exit is the exit status bench compare returns for r, and why:
// ExitNothingToCompare when nothing is in both runs, ExitRegressed when a
// row is a regression (FailOnRegression); 0 otherwise.
func (r *Result) Exit() (int, string) {
	if len(r.Rows) == 0 {
		return ExitNothingToCompare, "no cell is present in both runs: nothing to compare (see the cells listed as only in old / only in new)"
	}
	if reg := r.Regressions(); len(reg) > 0 {
		names := make([]string, len(reg))
		for i, row := range reg {
			names[i] = keyLabel(row.Key) + " · " + PhaseLabel(row.Key)
		}
		return ExitRegressed, fmt.Sprintf("%d cell(s) significantly worse by more than %s: %s", len(reg),
			strings.TrimPrefix(report.FormatPercent(r.FailOnRegression), "+"), strings.Join(names, "; "))
	}
	return 0, ""
}

type jsonDoc struct {
	Schema           string       `json:"schema"`
	Old              jsonRun      `json:"old"`
	New              jsonRun      `json:"new"`
	Method           string       `json:"method"`
	Assumptions      string       `json:"assumptions"`
	Confidence       float64      `json:"confidence"`
	Alpha            float64      `json:"alpha"`
	FDR              jsonFDR      `json:"fdr"`
	Threshold        float64      `json:"threshold"`
	MinProcesses     int          `json:"min_processes"`
	FailOnRegression *float64     `json:"fail_on_regression"`
	Rows             []jsonRow    `json:"rows"`
	Regressions      []int        `json:"regressions"`
	Verdicts         jsonVerdicts `json:"verdicts"`
	Geomeans         []jsonGeo    `json:"geomeans"`
	OnlyOld          []jsonKey    `json:"only_old"`
	OnlyNew          []jsonKey    `json:"only_new"`
	Warnings         []string     `json:"warnings"`
	Exit             jsonExit     `json:"exit"`
}

type jsonRun struct {
	Name    string     `json:"name"`
	Machine string     `json:"machine,omitempty"`
	Started string     `json:"started,omitempty"`
	Commit  string     `json:"commit,omitempty"`
	Noise   *jsonNoise `json:"noise,omitempty"`
}

type jsonNoise struct {
	CalibrationSpread *float64  `json:"calibration_spread"`
	CalibrationUnits  int       `json:"calibration_processes"`
	Drift             *float64  `json:"drift"`
	Drifted           bool      `json:"drifted"`
	LoadStart         []float64 `json:"load_start,omitempty"`
	LoadEnd           []float64 `json:"load_end,omitempty"`
}

type jsonFDR struct {
	Method string  `json:"method"`
	Level  float64 `json:"level"`
	Tested int     `json:"tested"`
}

type jsonKey struct {
	Target   string `json:"target"`
	Workload string `json:"workload"`
	Param    string `json:"param"`
	Lang     string `json:"lang"`
	Runtime  string `json:"runtime"`
	Tier     string `json:"tier"`
	Variant  string `json:"variant"`
	Phase    string `json:"phase"`
	Cold     bool   `json:"cold"`
	Label    string `json:"label"`
}

type jsonSide struct {
	Processes int      `json:"processes"`
	Values    int      `json:"values"`
	Center    *float64 `json:"center"`
	Lo        *float64 `json:"lo"`
	Hi        *float64 `json:"hi"`
}

type jsonRow struct {
	jsonKey
	Unit            string   `json:"unit"`
	Old             jsonSide `json:"old"`
	New             jsonSide `json:"new"`
	Ratio           *float64 `json:"ratio"`
	Lo              *float64 `json:"lo"`
	Hi              *float64 `json:"hi"`
	P               *float64 `json:"p"`
	Q               *float64 `json:"q"`
	Exact           bool     `json:"exact"`
	Tested          bool     `json:"tested"`
	Verdict         string   `json:"verdict"`
	Class           string   `json:"class"`
	Note            string   `json:"note,omitempty"`
	ProcessesNeeded int      `json:"processes_needed,omitempty"`
	Regression      bool     `json:"regression"`
}

type jsonVerdicts struct {
	Better       int `json:"better"`
	Worse        int `json:"worse"`
	Equivalent   int `json:"equivalent"`
	Inconclusive int `json:"inconclusive"`
}

type jsonGeo struct {
	Unit  string  `json:"unit"`
	Ratio float64 `json:"ratio"`
	Rows  int     `json:"rows"`
}

type jsonExit struct {
	Status int    `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// num is a finite number, or nil (JSON null) for NaN and infinities.
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func key(k report.Key) jsonKey {
	return jsonKey{Target: k.Target, Workload: k.Workload, Param: k.Param, Lang: k.Lang, Runtime: k.Runtime, Tier: k.Tier,
		Variant: k.Variant, Phase: k.Phase, Cold: k.Cold, Label: keyLabel(k) + " · " + PhaseLabel(k)}
}

func side(s *report.Series, n, v int, center float64) jsonSide {
	js := jsonSide{Processes: n, Values: v}
	if center > 0 {
		js.Center = num(center)
	}
	if s != nil && s.Proc.HasCI {
		js.Lo, js.Hi = num(s.Proc.Lo), num(s.Proc.Hi)
	}
	return js
}

func run(name string, d *report.Data, n report.Noise) jsonRun {
	r := jsonRun{Name: name}
	if d.Env != nil {
		r.Machine, r.Started, r.Commit = report.Fingerprint(*d.Env), d.Env.Started, d.Env.Commit
	}
	jn := &jsonNoise{LoadStart: n.LoadStart, LoadEnd: n.LoadEnd, CalibrationUnits: n.Units, Drifted: n.Drifted}
	if n.HasSpread {
		jn.CalibrationSpread = num(n.Spread)
	}
	if n.Drift != nil && n.Drift.Ratio > 0 {
		jn.Drift = num(n.Drift.Ratio)
	}
	if n.HasSpread || n.Drift != nil || len(n.LoadStart) > 0 || len(n.LoadEnd) > 0 {
		r.Noise = jn
	}
	return r
}

// WriteJSON writes the comparison as one JSON document (schema
// JSONSchema, documented in README.md): the method and its settings,
// every row with both sides, the ratio, its interval, p, q and the
// verdict, the regressions (indices into rows), the geometric means, the
// one-sided cells, the warnings and the exit status bench compare
// returns.
func (r *Result) WriteJSON(w io.Writer) error {
	doc := jsonDoc{Schema: JSONSchema, Old: run(r.OldName, r.Old, r.OldNoise), New: run(r.NewName, r.New, r.NewNoise),
		Method: stats.MethodName, Assumptions: stats.MethodAssumptions, Confidence: stats.Confidence, Alpha: r.Alpha,
		FDR: jsonFDR{Method: "benjamini-hochberg", Level: r.Alpha, Tested: r.Tested}, Threshold: r.Threshold,
		MinProcesses: stats.MinUnits, Rows: []jsonRow{}, Regressions: []int{}, Geomeans: []jsonGeo{},
		OnlyOld: []jsonKey{}, OnlyNew: []jsonKey{}, Warnings: []string{}}
	if r.FailOnRegression > 0 {
		doc.FailOnRegression = num(r.FailOnRegression)
	}
	for i, row := range r.Rows {
		c := row.Cmp
		jr := jsonRow{jsonKey: key(row.Key), Unit: row.Unit, Exact: c.Exact, Tested: c.Tested,
			Old: side(row.Old, c.N1, c.V1, c.OldCenter), New: side(row.New, c.N2, c.V2, c.NewCenter),
			Verdict: VerdictText(c.Verdict, row.Unit), Class: VerdictClass(c.Verdict), Regression: row.Regression}
		if c.Ratio > 0 {
			jr.Ratio = num(c.Ratio)
		}
		if c.HasCI {
			jr.Lo, jr.Hi = num(c.Lo), num(c.Hi)
		}
		if c.Tested {
			jr.P, jr.Q = num(c.P), num(c.Q)
		}
		if c.Verdict == stats.Inconclusive {
			jr.Note = inconclusiveWhy(c)
			jr.ProcessesNeeded = c.Processes
		}
		switch c.Verdict {
		case stats.Better:
			doc.Verdicts.Better++
		case stats.Worse:
			doc.Verdicts.Worse++
		case stats.Equivalent:
			doc.Verdicts.Equivalent++
		default:
			doc.Verdicts.Inconclusive++
		}
		if row.Regression {
			doc.Regressions = append(doc.Regressions, i)
		}
		doc.Rows = append(doc.Rows, jr)
	}
	for _, g := range r.Geomeans {
		if v := num(g.Ratio); v != nil {
			doc.Geomeans = append(doc.Geomeans, jsonGeo{Unit: g.Unit, Ratio: *v, Rows: g.N})
		}
	}
	for _, k := range r.OnlyOld {
		doc.OnlyOld = append(doc.OnlyOld, key(k))
	}
	for _, k := range r.OnlyNew {
		doc.OnlyNew = append(doc.OnlyNew, key(k))
	}
	for _, l := range r.headerLines() {
		if l[0] == "warning" {
			doc.Warnings = append(doc.Warnings, l[1])
		}
	}
	doc.Exit.Status, doc.Exit.Reason = r.Exit()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("compare: json: %w", err)
	}
	return nil
}
