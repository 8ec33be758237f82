module github.com/wasmbench/bench/runners/wasmtime

go 1.26.0

require (
	github.com/bytecodealliance/wasmtime-go/v25 v25.0.0
	github.com/wasmbench/bench v0.0.0
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/aws/aws-lambda-go v1.55.1 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

replace github.com/wasmbench/bench => ../..
