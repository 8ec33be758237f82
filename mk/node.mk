# The Node.js (V8) worker is a script, runners/node/worker.mjs: make build
# copies it beside the other workers. Running it needs node >= 18 on PATH
# (Debian: nodejs); the orchestrator starts it with node.Command's flags.

BUILD += $(BIN)/bench-node.mjs

$(BIN)/bench-node.mjs: runners/node/worker.mjs
	@mkdir -p $(BIN)
	cp $< $@
