//go:build !linux

package wazero

import (
	"fmt"
	"runtime"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// rootFS confines a preopened folder on Linux only (rootfs.go): wazero's
// DirFS follows links out of the folder, so elsewhere a preopen is refused.
type rootFS struct {
	experimentalsys.UnimplementedFS
}

func newRootFS(dir string) (*rootFS, error) {
	return nil, fmt.Errorf("the wazero runner confines preopened folders on Linux only, not %s: run without --dir", runtime.GOOS)
}

func (*rootFS) Close() error { return nil }
