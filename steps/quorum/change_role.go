package quorum

import (
	"context"
	"errors"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ChangeRole is `swarmwiz promote` and `swarmwiz demote`: nodes named by hostname become
// managers or workers, with the quorum guard of `leave`: a demotion that would leave too few
// reachable managers for a quorum is refused without Force, and an even manager count is
// warned about.
type ChangeRole struct {
	Names []string
	To    wizard.Role
	Force bool
}

func (c ChangeRole) Title() string { return msg("role.title", c.To) }

func (c ChangeRole) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	if len(c.Names) == 0 {
		return failure.Usagef("%s", msg("role.none", c.To))
	}
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		return err
	}
	todo, err := c.todo(env, rows)
	if err != nil {
		return err
	}
	for _, r := range todo {
		if err := c.change(ctx, env, st, rows, r); err != nil {
			return err
		}
	}
	if len(todo) == 0 || env.DryRun {
		return nil
	}
	// What the run learned: a demoted node is no manager to read the swarm from any more (a
	// leader just demoted answers with a stale table of Unknown nodes), a promoted one is.
	for _, r := range todo {
		if n := prelude.NodeByHostname(st, r.Hostname); n != nil {
			n.Role, n.Facts.Swarm.ControlAvailable = c.To, c.To == wizard.Manager
		}
	}
	return settleRoles(ctx, env, st, todo, c.To)
}

// todo are the rows whose role changes, once the change is known to be safe: no unknown
// name, never the last manager, the quorum kept unless --force; an even count is warned of.
func (c ChangeRole) todo(env *wizard.Env, rows []docker.Node) ([]docker.Node, error) {
	h := prelude.Health(rows)
	var todo []docker.Node
	for _, name := range c.Names {
		row := prelude.FindRow(rows, name)
		switch {
		case row == nil:
			return nil, failure.Usagef("%s", msg("role.unknown", map[string]any{"Node": name, "Names": prelude.Hostnames(rows)}))
		case row.IsManager() == (c.To == wizard.Manager) && !row.Promoting():
			say(env, "role.already", map[string]any{"Node": row.Hostname, "Role": c.To})
		default:
			todo = append(todo, *row)
		}
	}
	after, reachable := h.Managers, h.Reachable
	for _, r := range todo {
		if c.To == wizard.Manager {
			after++
			continue
		}
		after--
		if r.ManagerUp() {
			reachable--
		}
	}
	if c.To == wizard.Worker && after == 0 {
		return nil, failure.Usagef("%s", msg("role.lastmanager", nil))
	}
	if c.To == wizard.Worker && reachable < docker.Quorum(after) && !c.Force {
		return nil, failure.Usagef("%s", msg("role.quorum", map[string]any{
			"Managers": h.Managers, "Reachable": h.Reachable, "After": after, "Quorum": docker.Quorum(after), "Left": reachable}))
	}
	if len(todo) > 0 && after%2 == 0 {
		say(env, "count.even", map[string]int{"N": after, "Quorum": docker.Quorum(after), "Tol": docker.Tolerates(after), "Fewer": after - 1})
	}
	return todo, nil
}

// change promotes or demotes r, through another manager.
func (c ChangeRole) change(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node, r docker.Node) error {
	manager := prelude.OtherManager(st, rows, r.Hostname)
	if manager == nil {
		return errors.New(msg("nodes.nomanager", nil))
	}
	if c.To == wizard.Manager {
		return prelude.PromoteAndWait(ctx, env, st, manager, r.Hostname, prelude.NodeByHostname(st, r.Hostname))
	}
	if n := prelude.NodeByHostname(st, r.Hostname); n != nil && !env.DryRun && r.Promoting() {
		if err := prelude.UntilInRaft(ctx, env, manager, n); err != nil {
			return err
		}
	}
	_, err := env.Change(ctx, st, manager, docker.Demote(r.Hostname), msg("role.demote.why", nil), msg("leave.demote.done", r.Hostname))
	return err
}

// RoleSettleTimeout bounds the wait for docker's node list to show a role change.
var RoleSettleTimeout = 30 * time.Second

// settleRoles waits until the node list, read from a manager of now, shows each changed node
// in its new role and no node Unknown (a demoted leader's successor learns the nodes' states
// at their next heartbeat), so that the table printed next is docker's settled one; it says
// what it waits for when that is not at once.
func settleRoles(ctx context.Context, env *wizard.Env, st *wizard.State, changed []docker.Node, to wizard.Role) error {
	settled := func(rows []docker.Node) bool {
		for _, r := range rows {
			if r.Status == "Unknown" {
				return false // a new leader has not heard every node's heartbeat yet
			}
		}
		for _, c := range changed {
			r := prelude.FindRow(rows, c.Hostname)
			if r == nil || (to == wizard.Manager) != r.ManagerUp() || (to == wizard.Worker) == r.IsManager() {
				return false
			}
		}
		return true
	}
	if rows, err := prelude.ListNodes(ctx, env, st); err == nil && settled(rows) {
		return nil
	}
	say(env, "role.settling", prelude.Hostnames(changed))
	err := poll.Until(ctx, RoleSettleTimeout, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			rows, err := prelude.ListNodes(ctx, env, st)
			return err == nil && settled(rows), nil
		})
	if errors.Is(err, poll.ErrTimeout) {
		say(env, "role.unsettled", RoleSettleTimeout)
		return nil
	}
	return err
}
