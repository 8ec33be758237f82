module github.com/wasmbench/bench/runners/wasmer

go 1.26.0

require (
	github.com/wasmbench/bench v0.0.0-00010101000000-000000000000
	github.com/wasmerio/wasmer-go v1.0.4
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/aws/aws-lambda-go v1.55.1 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

replace github.com/wasmbench/bench => ../..
