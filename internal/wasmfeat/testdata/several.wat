;; features: SIMD, bulk memory, sign-extension operators
(module
  (memory 1)
  (func (param i32) (result i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
    (drop (i64x2.splat (i64.const 1)))
    (i32.extend8_s (local.get 0))))
