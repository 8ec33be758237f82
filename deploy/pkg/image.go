package pkg

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageOptions configures Image. The zero value builds a linux image for
// this machine's architecture whose entrypoint is TaskRoot/bootstrap.
type ImageOptions struct {
	// Arch is "amd64" or "arm64"; empty means this machine's.
	Arch string
	// Root is where relative file names go; empty means TaskRoot.
	Root string
	// Entrypoint defaults to [Root/bootstrap].
	Entrypoint []string
	// Cmd is the image's default arguments (Lambda: the handler).
	Cmd []string
	// Env is KEY=VALUE pairs; LAMBDA_TASK_ROOT and PATH are added when
	// missing.
	Env []string
	// WorkingDir defaults to Root.
	WorkingDir string
}

// Image builds a one-layer OCI image from scratch (no daemon, no base
// image): the files, their parent directories and /tmp, with OCI media
// types. The same files and options give the same digest.
func Image(files []File, o ImageOptions) (v1.Image, error) {
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	if o.Arch != "amd64" && o.Arch != "arm64" {
		return nil, fmt.Errorf("package: image: architecture %q is not amd64 or arm64", o.Arch)
	}
	if o.Root == "" {
		o.Root = TaskRoot
	}
	if len(o.Entrypoint) == 0 {
		o.Entrypoint = []string{o.Root + "/bootstrap"}
	}
	if o.WorkingDir == "" {
		o.WorkingDir = o.Root
	}
	env := append([]string(nil), o.Env...)
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin:"+o.Root)
	}
	if !hasEnv(env, "LAMBDA_TASK_ROOT") {
		env = append(env, "LAMBDA_TASK_ROOT="+o.Root)
	}

	var buf bytes.Buffer
	if err := Tar(&buf, files, o.Root); err != nil {
		return nil, err
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("package: image layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("package: image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("package: image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = o.Arch
	cf.Config.Entrypoint = o.Entrypoint
	cf.Config.Cmd = o.Cmd
	cf.Config.Env = env
	cf.Config.WorkingDir = o.WorkingDir
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("package: image config: %w", err)
	}
	return img, nil
}

func hasEnv(env []string, key string) bool {
	for _, kv := range env {
		if len(kv) > len(key) && kv[:len(key)+1] == key+"=" {
			return true
		}
	}
	return false
}

// WriteImageTarball writes img to path in the format `docker load` reads,
// tagged tag (e.g. "bench/wazero:fib"), and returns the file's size.
func WriteImageTarball(path string, img v1.Image, tag string) (int64, error) {
	ref, err := name.NewTag(tag)
	if err != nil {
		return 0, fmt.Errorf("package: image tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		return 0, fmt.Errorf("package: write image %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("package: write image: %w", err)
	}
	return st.Size(), nil
}

// ImageSize is the image's compressed size: config, manifest and layers,
// what a registry stores.
func ImageSize(img v1.Image) (int64, error) {
	m, err := img.RawManifest()
	if err != nil {
		return 0, fmt.Errorf("package: image manifest: %w", err)
	}
	c, err := img.RawConfigFile()
	if err != nil {
		return 0, fmt.Errorf("package: image config: %w", err)
	}
	total := int64(len(m) + len(c))
	layers, err := img.Layers()
	if err != nil {
		return 0, fmt.Errorf("package: image layers: %w", err)
	}
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return 0, fmt.Errorf("package: layer size: %w", err)
		}
		total += n
	}
	return total, nil
}
