package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// FileName is the results file inside a run folder.
const FileName = "results.jsonl"

// Writer appends records to results.jsonl. Each Write call ends with the
// file synced, so an interrupted run keeps everything written.
type Writer struct {
	mu sync.Mutex
	f  *os.File
}

// Create opens path for appending (creating it if needed).
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return &Writer{f: f}, nil
}

// Write appends records as one batch and syncs.
func (w *Writer) Write(recs ...Record) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return fmt.Errorf("results: encode %s record: %w", recs[i].Kind, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("results: write %s: %w", w.f.Name(), err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("results: sync %s: %w", w.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error { return w.f.Close() }

// LineError is a results line that could not be read.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads records one at a time, in the style of bufio.Scanner:
//
//	r := results.NewReader(f, "results.jsonl")
//	for r.Next() { rec := r.Record() ... }
//	err := r.Err()
//
// A malformed line (a run killed mid-write leaves a truncated last line)
// is skipped and remembered in Skipped; reading goes on.
type Reader struct {
	sc      *bufio.Scanner
	name    string
	line    int
	rec     Record
	err     error
	Skipped []*LineError
}

// NewReader reads records from r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &Reader{sc: sc, name: name}
}

// Next advances to the next well-formed record.
func (r *Reader) Next() bool {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			r.Skipped = append(r.Skipped, &LineError{File: r.name, Line: r.line, Err: err})
			continue
		}
		if rec.Kind == "" {
			r.Skipped = append(r.Skipped, &LineError{File: r.name, Line: r.line, Err: errors.New("record has no kind")})
			continue
		}
		r.rec = rec
		return true
	}
	r.err = r.sc.Err()
	return false
}

// Record is the current record.
func (r *Reader) Record() Record { return r.rec }

// Line is the current record's line number.
func (r *Reader) Line() int { return r.line }

// Err is the first I/O error, if any.
func (r *Reader) Err() error {
	if r.err != nil {
		return &LineError{File: r.name, Line: r.line, Err: r.err}
	}
	return nil
}

// ReadFile reads every well-formed record of a results file. Malformed
// lines come back as skipped, not as an error.
func ReadFile(path string) (recs []Record, skipped []*LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	r := NewReader(f, path)
	for r.Next() {
		recs = append(recs, r.Record())
	}
	return recs, r.Skipped, r.Err()
}
