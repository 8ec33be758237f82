module github.com/wasmbench/bench/runners/wasmer

go 1.26.0

require (
	github.com/wasmbench/bench v0.0.0-00010101000000-000000000000
	github.com/wasmerio/wasmer-go v1.0.4
)

require github.com/aws/aws-lambda-go v1.55.1 // indirect

replace github.com/wasmbench/bench => ../..
