package create

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// FindMembers makes re-runs converge: nodes already in the swarm being built are left
// alone (but for a role that differs from the plan), so running a finished plan again
// changes nothing and a plan with one more node joins only that one. An entry of the node
// list that carries a node's name but is not that node (a join that failed half-way) is
// found here, to be removed before the node joins again.
type FindMembers struct {
	// LeaveOther (--leave-other-swarms) covers the first manager too: a worker of another
	// swarm leaves it and starts this one.
	LeaveOther bool
}

func (FindMembers) Title() string { return msg("members.title", nil) }

// PromotionWait bounds the wait for promotions under way to show in Raft.
var PromotionWait = 20 * time.Second

// settlePromotions waits, saying so, while a node made a manager a moment ago (by hand, or
// by another run) is not yet listed by Raft, so its role is read as it will be, not as it
// was: a re-run then plans from the swarm as it is. A promotion that does not complete in
// PromotionWait is read as the worker Raft still has.
func settlePromotions(ctx context.Context, env *wizard.Env, first *wizard.Node, rows []docker.Node) ([]docker.Node, error) {
	promoting := func(rows []docker.Node) []docker.Node {
		var out []docker.Node
		for _, r := range rows {
			if r.Promoting() && r.Status == "Ready" {
				out = append(out, r)
			}
		}
		return out
	}
	p := promoting(rows)
	if len(p) == 0 {
		return rows, nil
	}
	say(env, "members.promoting", prelude.Hostnames(p))
	err := poll.Until(ctx, PromotionWait, poll.Backoff{First: 200 * time.Millisecond, Max: time.Second, Factor: 1.5},
		func(ctx context.Context) (bool, error) {
			r, err := prelude.ListOn(ctx, env, first)
			if err == nil {
				rows = r
			}
			return err == nil && len(promoting(r)) == 0, nil
		})
	if err != nil && !errors.Is(err, poll.ErrTimeout) {
		return nil, err
	}
	return rows, nil
}

func (f FindMembers) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	first := st.First
	fs := first.Facts.Swarm
	var rows []docker.Node
	if fs.LocalNodeState == "active" && !fs.ControlAvailable && f.LeaveOther {
		first.LeaveOther = true // planned: it leaves once the summary is confirmed
	}
	if fs.LocalNodeState == "active" && !first.LeaveOther {
		if !fs.ControlAvailable {
			return failure.Usagef("%s", msg("members.firstworker", first.Name()))
		}
		var err error
		if rows, err = prelude.ListOn(ctx, env, first); err != nil {
			return err
		}
		if rows, err = settlePromotions(ctx, env, first, rows); err != nil {
			return err
		}
	}
	byID := map[string]docker.Node{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	members := 0
	for _, n := range st.Nodes {
		n.Member, n.InRole, n.Stale = false, "", nil
		// Nodes in some other swarm, or stuck in one, are for the preflight to explain.
		if s := n.Facts.Swarm; s.LocalNodeState == "active" {
			if r, ok := byID[s.NodeID]; ok {
				n.Member = true
				n.InRole = wizard.Worker
				if r.IsManager() {
					n.InRole = wizard.Manager
				}
				members++
				continue
			}
		}
		findStale(ctx, env, first, n, rows)
	}
	if !env.Quiet {
		roles := 0
		for _, n := range st.Nodes {
			if n.Member && n.InRole != n.Role {
				roles++
			}
		}
		env.Println(msg("members.found", map[string]int{"Members": members, "New": len(st.Nodes) - members, "Roles": roles}))
	}
	return nil
}

// findStale marks n's stale entries in rows: an entry with this node's name and last seen at
// one of its addresses, while the node itself is in no swarm: what a join that failed
// half-way leaves behind (docker may even list it Ready for a while). Another machine of the
// same name would have been seen at another address.
func findStale(ctx context.Context, env *wizard.Env, first, n *wizard.Node, rows []docker.Node) {
	for _, r := range rows {
		if !strings.EqualFold(r.Hostname, n.Facts.Hostname) {
			continue
		}
		out, err := env.Read(ctx, first, docker.NodeAddr(r.ID))
		if err != nil || !n.Facts.HasIP(strings.TrimSpace(out)) {
			continue
		}
		n.Stale = append(n.Stale, r.ID)
		// Left from an earlier swarm run or a join that did not finish: docker's entry
		// alone cannot tell which, so the message names neither as the cause.
		say(env, "members.stale", map[string]string{"Node": n.Name(), "ID": r.ID, "First": first.Name()})
	}
}
