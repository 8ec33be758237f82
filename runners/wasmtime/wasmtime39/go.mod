module github.com/wasmbench/bench/runners/wasmtime/wasmtime39

go 1.26.0

require (
	github.com/bytecodealliance/wasmtime-go/v39 v39.0.1
	github.com/wasmbench/bench v0.0.0
)

require github.com/aws/aws-lambda-go v1.55.1 // indirect

replace github.com/wasmbench/bench => ../../..
