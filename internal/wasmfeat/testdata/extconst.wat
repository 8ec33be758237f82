;; features: extended constant expressions
(module
  (import "env" "base" (global $b i32))
  (memory 1)
  (global i32 (i32.add (global.get $b) (i32.const 16)))
  (data (i32.mul (global.get $b) (i32.const 2)) "x"))
