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

// Writer appends records to results.jsonl. Each Write call is one batch,
// written with one write and synced: a task writes its samples and its
// task line (which commits them, see ReadFile) as one batch, so an
// interrupted run keeps every finished task and at most a torn tail of
// the unfinished one, which Repair cuts off before a resume appends.
type Writer struct {
	mu sync.Mutex
	f  *os.File
}

// Create opens path for appending (creating it if needed). To continue a
// file an interrupted run wrote, Repair it first.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return &Writer{f: f}, nil
}

// Write appends records as one batch and syncs. A batch that could not be
// written whole (a full disk) is cut off again, so the file never ends in
// half a batch that this process could have removed.
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
	before, serr := w.f.Seek(0, io.SeekEnd)
	if _, err := w.f.Write(buf.Bytes()); err != nil {
		if serr == nil {
			_ = w.f.Truncate(before)
		}
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

// ReadFile reads the records of a results file that count: every
// well-formed record, except, in a file whose env line says JournalTasks,
// the records of a task whose task line was never written (a run killed
// in the middle of that task; a resume measures it again). Malformed
// lines come back as skipped, not as an error; the records left out for
// want of their task line come back as one more skipped entry, whose Err
// is an *UncommittedError. Report and resume read through here, so they
// count the same samples.
func ReadFile(path string) (recs []Record, skipped []*LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var lines []int
	r := NewReader(f, path)
	for r.Next() {
		recs = append(recs, r.Record())
		lines = append(lines, r.Line())
	}
	if err := r.Err(); err != nil {
		return nil, r.Skipped, err
	}
	kept, u := Committed(recs, lines)
	if u != nil {
		r.Skipped = append(r.Skipped, &LineError{File: path, Line: u.FirstLine, Err: u})
	}
	return kept, r.Skipped, nil
}

// UncommittedError describes the records ReadFile left out: those of
// tasks whose task line never came.
type UncommittedError struct {
	Records, Tasks int
	// FirstLine is the line of the first of them (0 when unknown).
	FirstLine int
}

func (e *UncommittedError) Error() string {
	return fmt.Sprintf("%d records of %d unfinished tasks (no task line: the run was killed in the middle of them) "+
		"are not counted; bench run --resume measures those tasks again", e.Records, e.Tasks)
}

// journaled reports whether the records follow the JournalTasks rule.
func journaled(recs []Record) bool {
	for _, r := range recs {
		if r.Kind == KindEnv && r.Env != nil && r.Env.Journal >= JournalTasks {
			return true
		}
	}
	return false
}

// Committed keeps the records that count (see ReadFile): in a journaled
// file, a record carrying a Task counts only when a task line for that
// Task follows it. lines, when not nil, are the records' line numbers. It
// returns nil for the second result when nothing was left out.
func Committed(recs []Record, lines []int) ([]Record, *UncommittedError) {
	ok, tasks := commitFlags(recs)
	if tasks == 0 {
		return recs, nil
	}
	u := &UncommittedError{Tasks: tasks}
	kept := make([]Record, 0, len(recs))
	for i, r := range recs {
		if ok[i] {
			kept = append(kept, r)
			continue
		}
		u.Records++
		if u.FirstLine == 0 && lines != nil {
			u.FirstLine = lines[i]
		}
	}
	return kept, u
}

// commitFlags says which records count, and how many tasks never
// committed theirs (0 for a file that is not journaled).
func commitFlags(recs []Record) (ok []bool, uncommitted int) {
	ok = make([]bool, len(recs))
	if !journaled(recs) {
		for i := range ok {
			ok[i] = true
		}
		return ok, 0
	}
	pending := map[string][]int{}
	for i, r := range recs {
		switch {
		case r.Task == "":
			ok[i] = true
		case r.Kind == KindTask:
			ok[i] = true
			for _, j := range pending[r.Task] {
				ok[j] = true
			}
			delete(pending, r.Task)
		default:
			pending[r.Task] = append(pending[r.Task], i)
		}
	}
	return ok, len(pending)
}

// TornSuffix names the file Repair moves a torn tail into, beside the
// results file.
const TornSuffix = ".torn"

// Repaired is what Repair cut off.
type Repaired struct {
	// Bytes and Records are what was moved into the .torn file: a last
	// line without its newline (or not a record), and the records of the
	// unfinished task before it.
	Bytes   int64
	Records int
	// TornFile is where they went.
	TornFile string
}

// Repair prepares a results file that an interrupted run left for more
// records: it cuts off its torn tail — a last line without a newline or
// that is not a record (a write cut short by a kill, a power cut or a
// full disk), and, in a journaled file, the records of the unfinished
// task they belong to (which can only be the last batch) — and appends
// what it cut to path+TornSuffix, so nothing is lost and nothing is
// appended to half a line. A file that needs nothing is left untouched.
func Repair(path string) (Repaired, error) {
	rep := Repaired{TornFile: path + TornSuffix}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return rep, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var (
		recs    []Record
		offsets []int64 // where each record's line starts
		off     int64
		cut     int64 = -1 // where the torn tail starts
	)
	br := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			switch {
			case line[len(line)-1] != '\n':
				cut = off // no newline: the last line, torn
			case len(bytes.TrimSpace(line)) == 0:
			default:
				var rec Record
				if jerr := json.Unmarshal(line, &rec); jerr != nil || rec.Kind == "" {
					cut = off // cut below unless a good line follows
				} else {
					recs, offsets = append(recs, rec), append(offsets, off)
					cut = -1
				}
			}
			off += int64(len(line))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("results: read %s: %w", path, err)
		}
	}
	if ok, n := commitFlags(recs); n > 0 {
		// The records of unfinished tasks are the last batch's, written
		// after every committed one: cut from the first of them.
		first := 0
		for ok[first] {
			first++
		}
		if cut < 0 || offsets[first] < cut {
			cut = offsets[first]
		}
		for _, o := range ok[first:] {
			if !o {
				rep.Records++
			}
		}
	}
	if cut < 0 {
		return rep, nil
	}
	if _, err := f.Seek(cut, io.SeekStart); err != nil {
		return rep, fmt.Errorf("results: %w", err)
	}
	torn, err := os.OpenFile(rep.TornFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return rep, fmt.Errorf("results: keep the torn tail: %w", err)
	}
	n, err := io.Copy(torn, f)
	if err == nil && n > 0 && !bytes.HasSuffix(lastBytes(f, off), []byte("\n")) {
		_, err = torn.Write([]byte("\n")) // the next torn tail starts on a line of its own
	}
	if err == nil {
		err = torn.Sync()
	}
	if cerr := torn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, fmt.Errorf("results: keep the torn tail in %s: %w", rep.TornFile, err)
	}
	rep.Bytes = n
	if err := f.Truncate(cut); err != nil {
		return rep, fmt.Errorf("results: cut the torn tail off %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return rep, fmt.Errorf("results: sync %s: %w", path, err)
	}
	return rep, nil
}

// lastBytes returns the last byte of a file of size size (or nothing).
func lastBytes(f *os.File, size int64) []byte {
	if size == 0 {
		return nil
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, size-1); err != nil {
		return nil
	}
	return b
}
