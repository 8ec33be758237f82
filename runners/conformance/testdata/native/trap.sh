#!/bin/sh
# trap: dies of SIGSEGV, as a native program that faults would.
kill -SEGV $$
