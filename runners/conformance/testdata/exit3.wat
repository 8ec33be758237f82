;; exit3: a WASI command that exits with code 3.
;; Rebuild: wat2wasm exit3.wat -o exit3.wasm
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (i32.const 3))))
