;; features:
;; WebAssembly 1.0 only: memory, table, globals, an active element and data
;; segment, br_table, call_indirect, loads and stores, a mutable global export.
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "f" (func $imp (param i32) (result i32)))
  (import "env" "g" (global $g i32))
  (memory 1 2)
  (table 2 funcref)
  (global $m (mut i32) (i32.const 7))
  (global $c i64 (i64.const -5))
  (export "m" (global $m))
  (elem (i32.const 0) $f $imp)
  (data (global.get $g) "hi")
  (func $f (type $t) (local i64 f32 f64)
    (block (loop (br_table 0 1 (local.get 0))))
    (if (result i32) (local.get 0)
      (then (i32.load offset=4 (i32.const 0)))
      (else (call_indirect (type $t) (i32.const 1) (i32.const 0))))
    (f64.store (i32.const 8) (f64.const 1.5))
    (drop (f32.const 2.5))
    (drop (select (i32.const 1) (i32.const 2) (i32.const 0)))
    (i32.add (memory.grow (i32.const 0))))
  )
