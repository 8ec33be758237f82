#!/bin/sh
# bigout: the native twin of bigout.wat: $1 KiB (default 1024) of 64-byte
# lines "xxx...x\n" to stdout, or to stderr when $2 starts with "e"; exit
# code 1 when a write fails.
n=${1:-1024}
line=$(printf '%063d' 0 | tr 0 x)
case "$2" in e*) exec 1>&2 ;; esac
yes "$line" | head -c $((n * 1024)) || exit 1
