package quorum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// LeaveNodes takes nodes out of the swarm: a worker leaves and is removed from the node
// list; a manager is demoted first; the last manager ends the swarm. A removal that would
// lose quorum is refused unless forced.
type LeaveNodes struct {
	Names []string // hostnames given on the command line
	Force bool     // accept the explained risk of losing quorum
	Yes   bool     // no confirmation for ending the swarm
}

// DownTimeout bounds the wait for a node that left to show as Down.
const DownTimeout = 3 * time.Second

func (LeaveNodes) Title() string { return msg("leave.title", nil) }

func (l LeaveNodes) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		if orphans := l.orphans(st); len(orphans) > 0 {
			return l.leaveOrphans(ctx, env, st, orphans)
		}
		return err
	}
	targets, err := l.choose(env, rows)
	if err != nil {
		return err
	}
	for _, host := range leaveOrder(rows, targets) {
		if err := l.remove(ctx, env, st, host); err != nil {
			return err
		}
	}
	return nil
}

// leaveOrder is the order nodes leave in: workers first (while managers can still remove
// them), then managers, the leader last, so that a set with every manager ends the swarm on
// its last one instead of leaving workers in a swarm with no manager.
func leaveOrder(rows []docker.Node, targets []string) []string {
	rank := func(host string) int {
		r := prelude.FindRow(rows, host)
		switch {
		case r == nil || !r.IsManager():
			return 0
		case r.ManagerStatus == "Leader":
			return 2
		}
		return 1
	}
	out := slices.Clone(targets)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// orphans are the named nodes that are workers of a swarm in which no connected node is a
// manager any more (left behind by an earlier leave of every manager): they can only leave.
func (l LeaveNodes) orphans(st *wizard.State) []*wizard.Node {
	for _, n := range st.Nodes {
		if n.Conn != nil && n.Facts.Swarm.ControlAvailable {
			return nil // a manager answers: not orphaned, something else is wrong
		}
	}
	var out []*wizard.Node
	for _, name := range l.Names {
		n := prelude.NodeByHostname(st, name)
		if n == nil || n.Conn == nil || n.Facts.Swarm.LocalNodeState != "active" || n.Facts.Swarm.ControlAvailable {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// leaveOrphans has each orphaned worker leave its swarm, saying why.
func (l LeaveNodes) leaveOrphans(ctx context.Context, env *wizard.Env, st *wizard.State, orphans []*wizard.Node) error {
	for _, n := range orphans {
		say(env, "leave.orphan", n.Name())
		if _, err := env.Change(ctx, st, n, docker.Leave(false), msg("leave.leave.why", nil), msg("leave.leave.done", n.Name())); err != nil {
			return err
		}
	}
	st.SwarmEnded = true
	return nil
}

func (l LeaveNodes) choose(env *wizard.Env, rows []docker.Node) ([]string, error) {
	if len(l.Names) > 0 {
		for _, name := range l.Names {
			if prelude.FindRow(rows, name) == nil {
				return nil, failure.Usagef("%s", msg("leave.unknown", map[string]any{"Node": name, "Nodes": prelude.Hostnames(rows)}))
			}
		}
		return l.Names, nil
	}
	if err := prelude.NeedTerminal(env, msg("leave.args", nil)); err != nil {
		return nil, err
	}
	env.Println(NodeTableText(rows))
	options := make([]string, len(rows))
	for i, r := range rows {
		role := "worker"
		if r.ManagerStatus != "" {
			role = "manager, " + r.ManagerStatus
		}
		options[i] = fmt.Sprintf("%s (%s, %s)", r.Hostname, role, r.Status)
	}
	idx, err := env.Prompter.MultiSelect(msg("leave.question", nil), msg("leave.help", nil), options, nil, func(idx []int) error {
		if len(idx) == 0 {
			return errors.New(msg("leave.none", nil))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range idx {
		out = append(out, rows[i].Hostname)
	}
	return out, nil
}

// remove takes one node out, re-reading the swarm first: earlier removals changed it.
func (l LeaveNodes) remove(ctx context.Context, env *wizard.Env, st *wizard.State, host string) error {
	rows, err := prelude.ListNodes(ctx, env, st)
	if err != nil {
		return err
	}
	row := prelude.FindRow(rows, host)
	if row == nil {
		return nil // already gone
	}
	node := prelude.NodeByHostname(st, host)
	if node == nil || node.Conn == nil {
		return l.removeDown(ctx, env, st, rows, row)
	}
	h := prelude.Health(rows)
	isManager := row.ManagerStatus != ""
	if isManager && h.Managers == 1 {
		return l.endSwarm(ctx, env, st, node)
	}
	if isManager {
		if err := l.quorumAfter(env, h, row); err != nil {
			return err
		}
	}
	manager := prelude.OtherManager(st, rows, host)
	if manager == nil {
		return errors.New(msg("nodes.nomanager", nil))
	}
	if isManager {
		if _, err := env.Change(ctx, st, manager, docker.Demote(host), msg("leave.demote.why", nil),
			msg("leave.demote.done", host)); err != nil {
			return err
		}
	}
	if _, err := env.Change(ctx, st, node, docker.Leave(false), msg("leave.leave.why", nil), msg("leave.leave.done", host)); err != nil {
		return err
	}
	// Managers notice a departed node only at its next missed heartbeat (seconds later).
	// Wait a little; after that --force is safe, since the node has already left.
	force := false
	if !env.DryRun {
		force = waitDown(ctx, env, manager, row.ID) != nil
	}
	why := msg("leave.rm.why", nil)
	if force {
		why = msg("leave.rm.force.why", nil)
	}
	_, err = env.Change(ctx, st, manager, docker.Rm(row.ID, force), why, msg("leave.rm.done", host))
	return err
}

// removeDown removes a node swarmwiz cannot reach (a dead machine): it cannot leave by
// itself, so a manager removes it with --force, which the user must ask for.
// quorumAfter refuses to take manager row out when the managers left could not keep the
// quorum (unless --force), and warns of an even count.
func (l LeaveNodes) quorumAfter(env *wizard.Env, h prelude.HealthInfo, row *docker.Node) error {
	host := row.Hostname
	after := h.Managers - 1
	reachable := h.Reachable
	if row.ManagerUp() {
		reachable--
	}
	if reachable < docker.Quorum(after) && !l.Force {
		return failure.Usagef("%s", msg("leave.quorum", map[string]any{
			"Node": host, "Managers": h.Managers, "Reachable": h.Reachable, "After": after,
			"Quorum": docker.Quorum(after), "Left": reachable}))
	}
	if after%2 == 0 {
		// 3 managers to 2: allowed, but it tolerates no more failures than 1 does.
		say(env, "leave.even", map[string]any{"Node": host, "Count": map[string]int{
			"N": after, "Quorum": docker.Quorum(after), "Tol": docker.Tolerates(after), "Fewer": after - 1}})
	}
	return nil
}

func (l LeaveNodes) removeDown(ctx context.Context, env *wizard.Env, st *wizard.State, rows []docker.Node, row *docker.Node) error {
	host := row.Hostname
	if row.Status != "Down" {
		return errors.New(msg("leave.unreachable", host))
	}
	manager := prelude.OtherManager(st, rows, host)
	if manager == nil {
		return errors.New(msg("nodes.nomanager", nil))
	}
	if !l.Force {
		if !env.Interactive {
			return failure.Usagef("%s", msg("leave.down.flag", host))
		}
		say(env, "leave.down.explain", host)
		ok, err := env.Prompter.Confirm(msg("leave.down.question", host), "", false)
		if err != nil {
			return err
		}
		if !ok {
			return failure.Usagef("%s", msg("summary.declined", nil))
		}
	}
	if row.ManagerStatus != "" {
		if _, err := env.Change(ctx, st, manager, docker.Demote(host), msg("leave.demote.why", nil), msg("leave.demote.done", host)); err != nil {
			return err
		}
	}
	_, err := env.Change(ctx, st, manager, docker.Rm(row.ID, true), msg("leave.down.why", nil), msg("leave.rm.done", host))
	return err
}

// endSwarm is the last manager leaving: the swarm ends with it, so the user must mean it.
func (l LeaveNodes) endSwarm(ctx context.Context, env *wizard.Env, st *wizard.State, node *wizard.Node) error {
	say(env, "leave.last", node.Name())
	if !l.Yes {
		if !env.Interactive {
			return failure.Usagef("%s", msg("leave.last.flag", nil))
		}
		ok, err := env.Prompter.Confirm(msg("leave.last.question", node.Name()), "", false)
		if err != nil {
			return err
		}
		if !ok {
			return failure.Usagef("%s", msg("summary.declined", nil))
		}
	}
	_, err := env.Change(ctx, st, node, docker.Leave(true), msg("leave.force.why", nil), msg("leave.force.done", node.Name()))
	st.SwarmEnded = err == nil
	return err
}

// waitDown polls until the manager sees the node that left as Down; docker refuses to
// remove a node that still looks up.
func waitDown(ctx context.Context, env *wizard.Env, manager *wizard.Node, id string) error {
	err := prelude.UntilSaying(ctx, env, "wait.down", map[string]any{"Manager": manager.Name()}, DownTimeout, poll.Backoff{First: 100 * time.Millisecond, Max: time.Second, Factor: 2},
		func(ctx context.Context) (bool, error) {
			rows, err := prelude.ListOn(ctx, env, manager)
			if err == nil {
				for _, r := range rows {
					if r.ID == id && r.Status == "Down" {
						return true, nil
					}
				}
			}
			return false, nil
		})
	if errors.Is(err, poll.ErrTimeout) {
		return context.DeadlineExceeded
	}
	return err
}
