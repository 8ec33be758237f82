package scenarios

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// The shipped scenarios: files/NAME.scenario.
//
//go:embed files/*.scenario
var files embed.FS

// All parses the shipped scenarios, sorted by name. A shipped file that
// does not parse is a programming error the package's tests catch.
func All() ([]*Scenario, error) {
	ents, err := files.ReadDir("files")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range ents {
		b, err := files.ReadFile(path.Join("files", e.Name()))
		if err != nil {
			return nil, err
		}
		sc, err := Parse(e.Name(), b)
		if err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(e.Name(), FileExt); sc.Name != want {
			return nil, &Error{File: e.Name(), Line: sc.Line["name"], Msg: fmt.Sprintf("name: %s is in %s: a shipped scenario's file is NAME%s", sc.Name, e.Name(), FileExt)}
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Names lists the shipped scenarios' names.
func Names() []string {
	ents, _ := files.ReadDir("files")
	var n []string
	for _, e := range ents {
		n = append(n, strings.TrimSuffix(e.Name(), FileExt))
	}
	sort.Strings(n)
	return n
}

// IsPath reports whether a --scenario value names a file (it holds a '/'
// or ends in FileExt) rather than a shipped scenario.
func IsPath(arg string) bool {
	return strings.Contains(arg, "/") || strings.HasSuffix(arg, FileExt)
}

// Load finds a scenario: a shipped one by name, or a file by path (see
// IsPath).
func Load(arg string) (*Scenario, error) {
	if IsPath(arg) {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("scenario %w", err)
		}
		return Parse(arg, b)
	}
	b, err := files.ReadFile(path.Join("files", arg+FileExt))
	if err != nil {
		return nil, fmt.Errorf("unknown scenario %q (scenarios: %s; or give a file: path/to/NAME%s)", arg, strings.Join(Names(), ", "), FileExt)
	}
	return Parse(arg+FileExt, b)
}
