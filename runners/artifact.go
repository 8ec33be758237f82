package runners

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteArtifact writes an ahead-of-time artifact atomically: into a
// temporary file beside path, then renamed, so a worker killed mid-write
// never leaves a truncated artifact that a later load would trust. It
// creates path's folder.
func WriteArtifact(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifact folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write artifact %s: %w", path, err)
	}
	return nil
}
