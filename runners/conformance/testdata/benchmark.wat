;; benchmark: a Sightglass-style command. It spins, calls bench.start,
;; spins again, calls bench.end, spins a third time, and writes "ok\n":
;; the execute phase is the region between the two calls, execute_all the
;; whole _start.
;; Rebuild: wat2wasm benchmark.wat -o benchmark.wasm
(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\03\00\00\00")
  (data (i32.const 16) "ok\n")
  ;; spin counts down n times, storing so the loop is not optimised away.
  (func $spin (param $n i32)
    (loop $l
      (i32.store (i32.const 64) (local.get $n))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
  (func (export "_start")
    (call $spin (i32.const 100000))
    (call $start)
    (call $spin (i32.const 100000))
    (call $end)
    (call $spin (i32.const 100000))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))))
