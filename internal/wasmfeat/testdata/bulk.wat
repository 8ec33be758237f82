;; features: bulk memory
(module
  (memory 1)
  (data $d "abc")
  (func
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))
    (data.drop $d)
    (memory.copy (i32.const 8) (i32.const 0) (i32.const 3))
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))
