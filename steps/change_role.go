package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/progress"
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
	rows, err := ListNodes(ctx, env, st)
	if err != nil {
		return err
	}
	h := Health(rows)
	var todo []docker.Node
	for _, name := range c.Names {
		row := findRow(rows, name)
		switch {
		case row == nil:
			return failure.Usagef("%s", msg("role.unknown", map[string]any{"Node": name, "Names": hostnames(rows)}))
		case row.IsManager() == (c.To == wizard.Manager):
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
		return failure.Usagef("%s", msg("role.lastmanager", nil))
	}
	if c.To == wizard.Worker && reachable < docker.Quorum(after) && !c.Force {
		return failure.Usagef("%s", msg("role.quorum", map[string]any{
			"Managers": h.Managers, "Reachable": h.Reachable, "After": after, "Quorum": docker.Quorum(after), "Left": reachable}))
	}
	if len(todo) > 0 && after%2 == 0 {
		say(env, "count.even", map[string]int{"N": after, "Quorum": docker.Quorum(after), "Tol": docker.Tolerates(after), "Fewer": after - 1})
	}
	for _, r := range todo {
		manager := otherManager(st, rows, r.Hostname)
		if manager == nil {
			return errors.New(msg("nodes.nomanager", nil))
		}
		if c.To == wizard.Worker {
			if _, err := env.Change(ctx, st, manager, docker.Demote(r.Hostname), msg("role.demote.why", nil), msg("leave.demote.done", r.Hostname)); err != nil {
				return err
			}
			continue
		}
		rep := progress.Start(changeProgress(env), msg("roles.promote.progress", r.Hostname), 1)
		t0 := time.Now()
		_, err := env.Change(ctx, st, manager, docker.Promote(r.Hostname), msg("roles.promote.why", nil), msg("roles.promote.done", r.Hostname))
		if n := nodeByHostname(st, r.Hostname); err == nil && n != nil && !env.DryRun {
			err = waitReachable(ctx, env, manager, n)
		}
		rep.Item(r.Hostname, err, msg("join.reachable", fmt.Sprintf("%.1f", time.Since(t0).Seconds())))
		rep.Stop()
		if err != nil {
			return err
		}
	}
	return nil
}
