# The Node.js-hosted Lambda function, runners/node/lambda.mjs, goes beside
# the Node.js worker (bin/bench-node.mjs, which it imports as worker.mjs in
# a function package): deploy/pkg.Files looks for it there to package the
# node function for lambda-local, container-local and deploy aws.

BUILD += $(BIN)/bench-node-lambda.mjs

$(BIN)/bench-node-lambda.mjs: runners/node/lambda.mjs
	@mkdir -p $(BIN)
	cp $< $@
