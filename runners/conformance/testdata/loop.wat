;; loop: a WASI command that never returns.
;; Rebuild: wat2wasm loop.wat -o loop.wasm
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (br $forever))))
