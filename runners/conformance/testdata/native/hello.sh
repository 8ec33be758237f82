#!/bin/sh
# hello: the native twin of hello.wat.
printf 'hello\n'
