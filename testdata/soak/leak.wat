;; leak: a handler that leaks on purpose, as the image service's did: each
;; call of the export "handle" grows linear memory by one 64 KiB page and
;; writes to every 4 KiB of it (so the page is resident), and never gives
;; it back. On one live instance (bench run --soak N --soak-export handle)
;; the environment's memory grows 64 KiB an invocation. _start calls
;; handle once and writes "ok\n" (stdout.expected), so the module also
;; runs as a command. noleak.wat is its twin that does not leak.
;; Rebuild: wat2wasm leak.wat -o leak.wasm (make soak-testdata)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "\10\00\00\00\03\00\00\00")
  (data (i32.const 16) "ok\n")
  (func $handle (export "handle")
    (local $p i32)
    (local $end i32)
    (local.set $p (memory.grow (i32.const 1)))
    (if (i32.eq (local.get $p) (i32.const -1))
      (then unreachable))
    (local.set $p (i32.mul (local.get $p) (i32.const 65536)))
    (local.set $end (i32.add (local.get $p) (i32.const 65536)))
    (loop $touch
      (i32.store (local.get $p) (local.get $p))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $p) (local.get $end)))))
  (func (export "_start")
    (call $handle)
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))
