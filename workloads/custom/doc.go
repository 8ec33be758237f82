// Package custom is a user's own WASI command modules (bench run --wasm,
// bench deploy aws --wasm): loading them from files and Sightglass
// benchmark folders, checking their outputs against expected files or
// against each other, and naming the feature beyond WebAssembly 1.0 a
// runtime lacks when it refuses one (read from the module's binary by
// internal/wasmfeat: no wasm runtime is linked).
package custom
