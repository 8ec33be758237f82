;; features: reference types
(module
  (table $t1 1 funcref)
  (table $t2 1 externref)
  (func (param externref) (result i32)
    (table.set $t2 (i32.const 0) (local.get 0))
    (drop (table.grow $t2 (ref.null extern) (i32.const 1)))
    (ref.is_null (table.get $t2 (i32.const 0)))))
