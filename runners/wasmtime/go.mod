module github.com/wasmbench/bench/runners/wasmtime

go 1.26.0

require (
	github.com/bytecodealliance/wasmtime-go/v25 v25.0.0
	github.com/wasmbench/bench v0.0.0
)

require github.com/aws/aws-lambda-go v1.55.1 // indirect

replace github.com/wasmbench/bench => ../..
