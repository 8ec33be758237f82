module github.com/wasmbench/bench

go 1.26
