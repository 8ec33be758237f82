;; features: tail calls
(module
  (type $t (func (result i32)))
  (table 1 funcref)
  (func $a (result i32) (return_call $b))
  (func $b (result i32) (return_call_indirect (type $t) (i32.const 0))))
