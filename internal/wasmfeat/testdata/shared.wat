;; features: threads (atomics)
;; A shared memory without an atomic instruction.
(module (import "env" "memory" (memory 1 2 shared)))
