package steps

import (
	"context"
	"errors"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// FindMembers makes re-runs safe: nodes already in the swarm being built are left alone, so
// running a finished plan again changes nothing and a plan with one more node joins only
// that one.
type FindMembers struct{}

func (FindMembers) Title() string { return msg("members.title", nil) }

func (FindMembers) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	first := st.First
	fs := first.Facts.Swarm
	ours := map[string]bool{}
	if fs.LocalNodeState == "active" {
		if !fs.ControlAvailable {
			return errors.New(msg("members.firstworker", first.Name()))
		}
		out, err := env.Read(ctx, first, docker.NodeLs())
		if err != nil {
			return err
		}
		rows, err := docker.ParseNodeLs(out)
		if err != nil {
			return err
		}
		for _, r := range rows {
			ours[r.ID] = true
		}
	}
	members := 0
	for _, n := range st.Nodes {
		// Nodes in some other swarm, or stuck in one, are for the preflight to explain.
		if s := n.Facts.Swarm; s.LocalNodeState == "active" && ours[s.NodeID] {
			n.Member = true
			members++
		}
	}
	if members > 0 && !env.Quiet {
		env.Println(msg("members.found", map[string]int{"Members": members, "New": len(st.Nodes) - members}))
	}
	return nil
}
