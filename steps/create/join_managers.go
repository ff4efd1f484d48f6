package create

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// JoinManagers joins the other managers one at a time, each waited for until Raft counts it
// reachable: two managers joining at once can leave the swarm without quorum.
type JoinManagers struct{}

func (JoinManagers) Title() string { return msg("managers.join.title", nil) }

func (JoinManagers) Skip(st *wizard.State) bool { return len(st.ToJoin(wizard.Manager)) == 0 }

func (JoinManagers) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	for _, n := range st.ToJoin(wizard.Manager) {
		rep := progress.Start(prelude.ChangeProgress(env), msg("managers.join.progress", n.Name()), 1)
		t0 := time.Now()
		err := joinManager(ctx, env, st, n)
		if err == nil && !env.DryRun {
			// One line for one manager: joined, and reachable after how long.
			rep.Done(msg("join.manager.reachable", map[string]string{"Node": n.Name(), "Seconds": fmt.Sprintf("%.1f", time.Since(t0).Seconds())}))
			continue
		}
		rep.Item(n.Name(), err, "")
		rep.Stop()
		if err != nil {
			if ctx.Err() != nil {
				accountJoins(env, st, []*wizard.Node{n}, wizard.Manager)
			}
			return err
		}
	}
	return nil
}

func joinManager(ctx context.Context, env *wizard.Env, st *wizard.State, n *wizard.Node) error {
	done := msg("join.manager.done", n.Name())
	if env.DryRun {
		return join(ctx, env, st, n, st.Tokens.Manager, msg("join.manager.why", nil), done)
	}
	// Its line is printed once it is reachable too (JoinManagers); the account has it now.
	if err := join(ctx, env, st, n, st.Tokens.Manager, msg("join.manager.why", nil), ""); err != nil {
		return err
	}
	st.Record(done)
	return prelude.WaitReachable(ctx, env, st.First, n)
}

// AccountTimeout bounds how long, after an interruption, swarmwiz waits for joins the nodes
// had begun to settle, so the account of what was done is exact.
const AccountTimeout = 10 * time.Second

// accountJoins asks, after an interruption, each node whose join was under way whether it
// joined after all: a join the daemon had begun completes there even when swarmwiz stops
// waiting for it. A join still pending is waited for, briefly; those that joined are added
// to the account of what was done, and one still under way is said to be.
func accountJoins(env *wizard.Env, st *wizard.State, nodes []*wizard.Node, role wizard.Role) {
	if len(nodes) == 0 || env.DryRun {
		return
	}
	prelude.EachNode(env, nodes, func(_ int, n *wizard.Node) error {
		state := settledState(context.Background(), n, AccountTimeout)
		data := map[string]string{"Node": n.Name(), "Role": string(role)}
		switch state {
		case "active":
			st.Record(msg("join.completed", data))
		case "pending", "unknown":
			st.Record(msg("join.underway", data))
		}
		return nil
	})
}

// join joins n with token through its docker daemon's API: the token travels in the request
// body over the SSH connection, never on a command line, where sudo's log and `ps` on the
// node would show it. What the learner sees, and can type by hand, is the docker command.
func join(ctx context.Context, env *wizard.Env, st *wizard.State, n *wizard.Node, token, why, done string) error {
	manager := managerAddr(st)
	availability := "" // workers run the tasks; only managers may be drained
	if n.Role == wizard.Manager {
		availability = st.Init.Availability
	}
	return env.ChangeBy(ctx, st, n, docker.JoinAs(token, manager, "", availability), why, done, func(ctx context.Context) error {
		err := n.Docker().SwarmJoinAs(ctx, token, manager, "", availability)
		if docker.JoinContinues(err) {
			err = waitJoined(ctx, n, err)
		}
		return err
	})
}

// JoinTimeout bounds the wait for a join docker went on with in the background.
const JoinTimeout = 3 * time.Minute

// waitJoined waits for a join that docker stopped waiting for but goes on with (a busy
// machine, many nodes joining): done when the node is active, failed with docker's own
// words when it gives up.
func waitJoined(ctx context.Context, n *wizard.Node, joinErr error) error {
	state := settledState(ctx, n, JoinTimeout)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if state != "active" {
		return joinErr
	}
	return nil
}

// settledState polls n's own swarm state (its daemon's API) until a join under way has
// settled, or timeout: active, error, inactive; pending when it still had not, unknown when
// the daemon never answered.
func settledState(ctx context.Context, n *wizard.Node, timeout time.Duration) string {
	state := "unknown"
	_ = poll.Until(ctx, timeout, poll.Backoff{First: 100 * time.Millisecond, Max: time.Second},
		func(ctx context.Context) (bool, error) {
			if s, err := n.Docker().LocalNodeState(ctx); err == nil {
				state = s
			}
			return state != "pending" && state != "unknown", nil
		})
	return state
}

// managerAddr is where joining nodes reach the first manager: its advertised address on
// the swarm port.
func managerAddr(st *wizard.State) string {
	return net.JoinHostPort(strings.TrimSpace(st.Advertise), "2377")
}
