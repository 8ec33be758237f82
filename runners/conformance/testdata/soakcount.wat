;; soakcount: a soak's live instance. Each call of the export "handle"
;; grows linear memory by one page, writes to it, and counts the call in
;; a global; the fourth call traps. Called on one live instance, three
;; calls succeed and the fourth traps; called on fresh instances, no call
;; ever would. _start calls handle once and writes "ok\n".
;; Rebuild: wat2wasm soakcount.wat -o soakcount.wasm
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0) "\10\00\00\00\03\00\00\00")
  (data (i32.const 16) "ok\n")
  (func $handle (export "handle")
    (local $old i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (i32.ge_u (global.get $calls) (i32.const 4))
      (then unreachable))
    (local.set $old (memory.grow (i32.const 1)))
    (if (i32.eq (local.get $old) (i32.const -1))
      (then unreachable))
    (i32.store8 (i32.mul (local.get $old) (i32.const 65536)) (i32.const 1)))
  (func (export "_start")
    (call $handle)
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))
