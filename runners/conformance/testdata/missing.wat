;; missing: imports a function no runtime provides, and calls it.
;; Rebuild: wat2wasm missing.wat -o missing.wasm
(module
  (import "bench_conformance" "no_such_function" (func $nope))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $nope)))
