;; trap: a WASI command whose _start traps at once.
;; Rebuild: wat2wasm trap.wat -o trap.wasm
(module
  (memory (export "memory") 1)
  (func (export "_start")
    unreachable))
