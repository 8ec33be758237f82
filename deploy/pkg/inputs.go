package pkg

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/wasmbench/bench/runners"
)

// Where a job's inputs travel in a function package.
const (
	// InputDir holds the guest's stdin file, under its own base name.
	InputDir = "task/input"
	// DirsDir holds the preopened folders, each as DirsDir/<its index>/.
	DirsDir = "task/dirs"
)

// Inputs is a job's stdin file and preopened folders packed into a
// function package: the files to add, and the invocation's stdin_path and
// dirs pointing at them (relative to the task root, as
// runners.LambdaRequest wants them). On AWS Lambda the task root
// (/var/task) is read-only, so a guest cannot write into its preopens.
type Inputs struct {
	Files []File
	// StdinPath is the stdin file inside the package, "" without one.
	StdinPath string
	// Dirs are the preopens, each Host a folder inside the package.
	Dirs []runners.Preopen
	// Bytes is the size of every input file together.
	Bytes int64
}

// PackInputs lists the files that ship a job's stdin file (stdin, a path
// on this machine, or "") and preopened folders (dirs, Host on this
// machine) in a function package. A folder without a single file is an
// error: a package holds files, not empty folders.
func PackInputs(stdin string, dirs []runners.Preopen) (Inputs, error) {
	var in Inputs
	if stdin != "" {
		in.StdinPath = path.Join(InputDir, filepath.Base(stdin))
		in.Files = append(in.Files, File{Name: in.StdinPath, Src: stdin})
	}
	for i, d := range dirs {
		name := fmt.Sprintf("%s/%d", DirsDir, i)
		files, err := Dir(d.Host, name)
		if err != nil {
			return Inputs{}, fmt.Errorf("preopened folder %s: %w", d.Host, err)
		}
		if len(files) == 0 {
			return Inputs{}, fmt.Errorf("preopened folder %s holds no files, and a function package holds files only: "+
				"put a file in it, or run on the local target", d.Host)
		}
		in.Files = append(in.Files, files...)
		in.Dirs = append(in.Dirs, runners.Preopen{Host: name, Guest: d.Guest})
	}
	for _, f := range in.Files {
		st, err := os.Stat(f.Src)
		if err != nil {
			return Inputs{}, fmt.Errorf("package: input %w", err)
		}
		in.Bytes += st.Size()
	}
	return in, nil
}
