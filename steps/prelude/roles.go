package prelude

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// PromoteAndWait promotes host through manager and waits until Raft counts it reachable (n,
// when swarmwiz is connected to it), on one progress line: "node4 promoted to manager,
// reachable after 0.6s". The run's account records the promotion when docker took it.
func PromoteAndWait(ctx context.Context, env *wizard.Env, st *wizard.State, manager *wizard.Node, host string, n *wizard.Node) error {
	rep := progress.Start(ChangeProgress(env), Msg("roles.promote.progress", host), 1)
	t0 := time.Now()
	done := Msg("roles.promote.done", host)
	if env.DryRun {
		_, err := env.Change(ctx, st, manager, docker.Promote(host), Msg("roles.promote.why", nil), done)
		rep.Item(host, err, "")
		rep.Stop()
		return err
	}
	_, err := env.Change(ctx, st, manager, docker.Promote(host), Msg("roles.promote.why", nil), "")
	if err == nil {
		st.Record(done)
		if n != nil {
			err = WaitReachable(ctx, env, manager, n)
		}
	}
	if err != nil {
		rep.Item(host, err, "")
		rep.Stop()
		return err
	}
	rep.Done(Msg("roles.promote.reachable", map[string]string{"Node": host, "Seconds": fmt.Sprintf("%.1f", time.Since(t0).Seconds())}))
	return nil
}

// UntilInRaft waits, saying so, until Raft lists n as a manager, when it does not yet.
func UntilInRaft(ctx context.Context, env *wizard.Env, first, n *wizard.Node) error {
	ms, err := first.Docker().NodeManagerStatus(ctx, n.Name())
	if err == nil && ms != nil {
		return nil
	}
	Say(env, "roles.demote.wait", n.Name())
	return WaitReachable(ctx, env, first, n)
}

// ReachableTimeout bounds the wait for one manager to become reachable.
const ReachableTimeout = 60 * time.Second

// WaitReachable polls the first manager, with backoff, until it sees n as reachable. Nodes
// are looked up by hostname, which swarmwiz has already checked to be unique.
func WaitReachable(ctx context.Context, env *wizard.Env, first, n *wizard.Node) error {
	last := "unknown"
	// A manager usually becomes reachable within a second of its join: poll often and
	// back off gently, so the wait ends soon after it does.
	err := UntilSaying(ctx, env, "wait.reachable", map[string]any{"Node": n.Name(), "First": first.Name()}, ReachableTimeout, poll.Backoff{First: 50 * time.Millisecond, Max: 300 * time.Millisecond},
		func(ctx context.Context) (bool, error) {
			var ms *docker.ManagerStatusOf
			err := env.ReadBy(ctx, first, docker.ManagerStatus(n.Name()), func(ctx context.Context) (err error) {
				ms, err = first.Docker().NodeManagerStatus(ctx, n.Name())
				return err
			})
			if err == nil && ms != nil {
				last = ms.Reachability
				return ms.Reachable(), nil
			}
			return false, nil
		})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("%s", Msg("join.manager.timeout", map[string]any{"Node": n.Name(), "State": last, "Timeout": ReachableTimeout}))
	}
	return err
}

// ChangeProgress is how the progress of a change looks: in a dry run nothing is done, so
// nothing is reported done (the "would run" lines say it all).
func ChangeProgress(env *wizard.Env) progress.Options {
	o := env.Progress()
	o.Quiet = o.Quiet || env.DryRun
	return o
}
