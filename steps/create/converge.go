package create

import (
	"context"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// LeaveOtherSwarms makes the nodes the user chose to take out of another swarm leave it.
type LeaveOtherSwarms struct{}

func (LeaveOtherSwarms) Title() string { return msg("leaveother.title", nil) }

func (LeaveOtherSwarms) Skip(st *wizard.State) bool { return len(leaving(st)) == 0 }

func (LeaveOtherSwarms) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	for _, n := range leaving(st) {
		s := n.Facts.Swarm
		if _, err := env.Change(ctx, st, n, docker.Leave(s.ControlAvailable), msg("preflight.other.why", nil),
			msg("preflight.other.done", n.Name())); err != nil {
			return err
		}
		n.Facts.Swarm = docker.Swarm{LocalNodeState: "inactive"}
		n.LeaveOther = false
	}
	return nil
}

func leaving(st *wizard.State) []*wizard.Node {
	var out []*wizard.Node
	for _, n := range st.Nodes {
		if n.LeaveOther {
			out = append(out, n)
		}
	}
	return out
}

// RemoveStale removes, on the first manager, node list entries that carry a joining node's
// name but are not it, so the node joins again as itself and the table shows it once.
type RemoveStale struct{}

func (RemoveStale) Title() string { return msg("stale.title", nil) }

func (RemoveStale) Skip(st *wizard.State) bool {
	for _, n := range st.Nodes {
		if len(n.Stale) > 0 {
			return false
		}
	}
	return true
}

func (RemoveStale) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	for _, n := range st.Nodes {
		for _, id := range n.Stale {
			rm, done := docker.Rm(id, true), msg("stale.done", map[string]string{"Node": n.Name(), "ID": id})
			_, err := env.Change(ctx, st, st.First, rm, msg("stale.why", nil), done)
			if err != nil && strings.Contains(err.Error(), "demoted") {
				// A manager entry is demoted first, as docker asks.
				if _, err = env.Change(ctx, st, st.First, docker.Demote(id), msg("stale.demote.why", nil), ""); err == nil {
					_, err = env.Change(ctx, st, st.First, rm, "", done)
				}
			}
			if err != nil {
				return err
			}
		}
		n.Stale = nil
	}
	return nil
}

// ChangeRoles promotes and demotes members whose role in the swarm differs from the plan:
// promotions first, each waited for until Raft counts the manager reachable, so the swarm
// never has fewer working managers than before.
type ChangeRoles struct{}

func (ChangeRoles) Title() string { return msg("roles.title", nil) }

func (ChangeRoles) Skip(st *wizard.State) bool { return len(roleChanges(st)) == 0 }

func (ChangeRoles) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	changes := roleChanges(st)
	for _, n := range changes {
		if n.Role != wizard.Manager {
			continue
		}
		if err := prelude.PromoteAndWait(ctx, env, st, st.First, n.Name(), n); err != nil {
			return err
		}
		n.InRole = wizard.Manager
	}
	for _, n := range changes {
		if n.Role != wizard.Worker {
			continue
		}
		if !env.DryRun {
			// A promotion made a moment ago (by hand, or by another run) is not in Raft yet,
			// and docker cannot demote a manager Raft does not list: let it finish first.
			if err := prelude.UntilInRaft(ctx, env, st.First, n); err != nil {
				return err
			}
		}
		if _, err := env.Change(ctx, st, st.First, docker.Demote(n.Name()), msg("leave.demote.why", nil), msg("leave.demote.done", n.Name())); err != nil {
			return err
		}
		n.InRole = wizard.Worker
	}
	return nil
}

// roleChanges are the members (the first manager aside) whose role differs from the plan.
func roleChanges(st *wizard.State) []*wizard.Node {
	var out []*wizard.Node
	for _, n := range st.Nodes {
		if n.Member && n != st.First && n.InRole != "" && n.InRole != n.Role {
			out = append(out, n)
		}
	}
	return out
}
