#!/bin/sh
# loop: never returns.
while :; do :; done
