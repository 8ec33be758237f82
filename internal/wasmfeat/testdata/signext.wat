;; features: sign-extension operators
(module (func (param i64) (result i64) (i64.extend32_s (local.get 0))))
