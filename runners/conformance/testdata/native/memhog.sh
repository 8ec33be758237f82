#!/bin/sh
# memhog: the native twin of memhog.wat: awk doubles a string up to 64 MiB
# and prints "memhog: grew to 64 MiB"; under a smaller cap its allocation
# fails and it exits non-zero.
exec awk 'BEGIN { s = "x"; while (length(s) < 64 * 1024 * 1024) s = s s; print "memhog: grew to 64 MiB" }'
