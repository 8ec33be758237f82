package run

import (
	"fmt"

	"github.com/wasmbench/bench/deploy"
	"github.com/wasmbench/bench/deploy/local"
	"github.com/wasmbench/bench/runners"
	"github.com/wasmbench/bench/runners/client"
	"github.com/wasmbench/bench/runners/confine"
	"github.com/wasmbench/bench/workloads/custom"
)

// workerFor is the command that runs a job of a cell: the runtime's
// worker, inside bubblewrap when the runtime needs it (RuntimeSpec.Confine)
// and the job runs a guest with a preopened folder on this machine.
// Serverless and container targets package the worker itself and keep
// their own walls: the function's package holds no links (it copies
// regular files only), and there the guards inside the runtimes refuse a
// guest's own links (the wasmer runner's path guard, lambda.mjs).
func (r *runner) workerFor(c *Cell, tg deploy.Target, job runners.Job) (client.Command, error) {
	cmd, err := c.Runtime.Command(c.Tier)
	if err != nil {
		return cmd, err
	}
	if !c.Runtime.Confine || tg.Name() != (local.Local{}).Name() || !confine.Needed(job) {
		return cmd, nil
	}
	return confine.Command(cmd, job)
}

// sandboxAvailable is confine.Available (a test replaces it).
var sandboxAvailable = confine.Available

// sandboxNote says why a cell cannot run, when its runtime needs
// bubblewrap for the module's preopened folders on this machine and
// bwrap cannot start here; "" when it can run.
func sandboxNote(r *Runtime, m *custom.Module, tg string) string {
	if !r.Confine || m == nil || len(m.Dirs) == 0 || tg != (local.Local{}).Name() {
		return ""
	}
	if err := sandboxAvailable(); err != nil {
		return fmt.Sprintf("not run: %s's WASI does not keep a guest inside its --dir folders, so bench runs it in a bubblewrap sandbox, "+
			"and %v; install it (Debian: apt-get install %s), or run %s without --dir", r.Name, err, confine.Package, r.Name)
	}
	return ""
}
