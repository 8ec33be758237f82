;; features: non-trapping float-to-int conversions
(module (func (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0))))
