;; features: exception handling
;; The legacy encoding (try, catch, catch_all, rethrow, delegate).
(module
  (tag $e (param i32))
  (export "e" (tag $e))
  (func (result i32)
    (try (result i32)
      (do (throw $e (i32.const 1)))
      (catch $e)
      (catch_all (i32.const 2)))))
