;; memhog: grows its memory 1 MiB at a time, writing to each new MiB, up to
;; 64 MiB. When memory.grow is refused it traps (as a C program's abort()
;; after malloc fails would); when it reaches 64 MiB it prints
;; "memhog: grew to 64 MiB\n" and returns, which under a 16 MiB cap means
;; the cap was not enforced.
;; Rebuild: wat2wasm memhog.wat -o memhog.wasm
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\17\00\00\00")
  (data (i32.const 16) "memhog: grew to 64 MiB\n")
  (func (export "_start")
    (local $old i32)
    (loop $more
      ;; grow by 16 pages (1 MiB); -1 means refused.
      (local.set $old (memory.grow (i32.const 16)))
      (if (i32.eq (local.get $old) (i32.const -1))
        (then unreachable))
      ;; touch the first byte of the new MiB.
      (i32.store8 (i32.mul (local.get $old) (i32.const 65536)) (i32.const 1))
      (br_if $more (i32.lt_u (memory.size) (i32.const 1024))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 48)))))
