;; noleak: leak.wat's twin that does not leak: each call of the export
;; "handle" writes to every 4 KiB of the same 64 KiB page (the second of
;; its two initial pages) and grows nothing, so a live instance's memory
;; stays flat however many invocations it serves. _start calls handle
;; once and writes "ok\n" (stdout.expected).
;; Rebuild: wat2wasm noleak.wat -o noleak.wasm (make soak-testdata)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "\10\00\00\00\03\00\00\00")
  (data (i32.const 16) "ok\n")
  (func $handle (export "handle")
    (local $p i32)
    (local $end i32)
    (local.set $p (i32.const 65536))
    (local.set $end (i32.add (local.get $p) (i32.const 65536)))
    (loop $touch
      (i32.store (local.get $p) (local.get $p))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $p) (local.get $end)))))
  (func (export "_start")
    (call $handle)
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))
