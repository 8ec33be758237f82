;; features: threads (atomics)
(module
  (memory 1 1 shared)
  (func (result i32)
    (atomic.fence)
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))
