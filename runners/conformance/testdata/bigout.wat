;; bigout: writes argv[1] KiB (default 1024, i.e. 1 MiB) of 64-byte lines
;; "xxx...x\n" to stdout, or to stderr when argv[2] starts with "e", in
;; writes of up to 64 KiB; exits 0, or with code 1 as soon as a write fails
;; (an output limit makes the host refuse it).
;; Rebuild: wat2wasm bigout.wat -o bigout.wasm
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  ;; [0, 64 KiB): the text; 65536: iovec; 65544: bytes written;
  ;; 65552: argc; 65556: argv buffer size; 65600: argv pointers (16);
  ;; 65664: argv buffer (up to 64000 bytes).
  (memory (export "memory") 2)
  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 65600) (i32.mul (local.get $i) (i32.const 4)))))
  (func (export "_start")
    (local $i i32) (local $kib i32) (local $fd i32) (local $p i32) (local $c i32) (local $chunk i32)
    (local.set $kib (i32.const 1024))
    (local.set $fd (i32.const 1))
    (drop (call $args_sizes_get (i32.const 65552) (i32.const 65556)))
    (if (i32.and
          (i32.le_u (i32.load (i32.const 65552)) (i32.const 16))
          (i32.le_u (i32.load (i32.const 65556)) (i32.const 64000)))
      (then
        (drop (call $args_get (i32.const 65600) (i32.const 65664)))
        (if (i32.ge_u (i32.load (i32.const 65552)) (i32.const 2))
          (then
            ;; argv[1]: a decimal number of KiB.
            (local.set $kib (i32.const 0))
            (local.set $p (call $arg (i32.const 1)))
            (block $end
              (loop $digits
                (local.set $c (i32.load8_u (local.get $p)))
                (br_if $end (i32.lt_u (local.get $c) (i32.const 48)))
                (br_if $end (i32.gt_u (local.get $c) (i32.const 57)))
                (local.set $kib (i32.add (i32.mul (local.get $kib) (i32.const 10))
                                         (i32.sub (local.get $c) (i32.const 48))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $digits)))))
        (if (i32.ge_u (i32.load (i32.const 65552)) (i32.const 3))
          (then
            (if (i32.eq (i32.load8_u (call $arg (i32.const 2))) (i32.const 101)) ;; 'e'
              (then (local.set $fd (i32.const 2))))))))
    ;; The text: 1024 lines of 63 'x' and a newline.
    (local.set $i (i32.const 0))
    (loop $fill
      (i32.store8 (local.get $i)
        (select (i32.const 10) (i32.const 120)
          (i32.eq (i32.and (local.get $i) (i32.const 63)) (i32.const 63))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
    ;; Write $kib KiB, 64 KiB at a time.
    (block $done
      (loop $write
        (br_if $done (i32.eqz (local.get $kib)))
        (local.set $chunk (select (local.get $kib) (i32.const 64) (i32.lt_u (local.get $kib) (i32.const 64))))
        (i32.store (i32.const 65536) (i32.const 0))
        (i32.store (i32.const 65540) (i32.mul (local.get $chunk) (i32.const 1024)))
        (if (call $fd_write (local.get $fd) (i32.const 65536) (i32.const 1) (i32.const 65544))
          (then (call $proc_exit (i32.const 1))))
        (local.set $kib (i32.sub (local.get $kib) (local.get $chunk)))
        (br $write)))))
