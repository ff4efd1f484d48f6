package create

import (
	"context"
	"errors"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// JoinWorkers joins every worker at once: workers take no part in Raft, so they need no
// turn-taking. A worker that fails is named; the others still join.
type JoinWorkers struct{}

func (JoinWorkers) Title() string { return msg("workers.join.title", nil) }

func (JoinWorkers) Skip(st *wizard.State) bool { return len(st.ToJoin(wizard.Worker)) == 0 }

func (JoinWorkers) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	workers := st.ToJoin(wizard.Worker)
	if env.Explain && !env.DryRun {
		// One explanation for all: the command is the same on every worker.
		env.Printf("  %s$ %s\n    %s\n", msg("explain.eachworker", nil), env.Mask(docker.Join(st.Tokens.Worker, managerAddr(st), "")), msg("explain.why", msg("join.worker.why", nil)))
	}
	rep := progress.Start(prelude.ChangeProgress(env), msg("workers.join.progress", nil), len(workers))
	errs := prelude.EachNode(env, workers, func(_ int, n *wizard.Node) error {
		t0 := time.Now()
		// Explained once above, so no "why" per worker; the progress line says it is done
		// (one line a worker, not two), and the account records it.
		err := join(ctx, env, st, n, st.Tokens.Worker, "", "")
		if err == nil && !env.DryRun {
			st.Record(msg("join.worker.done", n.Name()))
		}
		rep.Item(n.Name(), err, msg("join.worker.item", time.Since(t0).Seconds()))
		return err
	})
	rep.Stop()
	if ctx.Err() != nil {
		var cut []*wizard.Node
		for i, err := range errs {
			if err != nil {
				cut = append(cut, workers[i])
			}
		}
		accountJoins(env, st, cut, wizard.Worker)
	}
	return errors.Join(errs...)
}
