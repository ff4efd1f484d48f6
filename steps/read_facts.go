package steps

import (
	"context"
	"errors"

	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ReadFacts learns each node's hostname, OS, docker engine, swarm state and addresses, in
// one read-only round trip per node, all nodes at once. What a node's swarm state means is
// for later steps (FindMembers) to judge.
type ReadFacts struct{}

func (ReadFacts) Title() string { return msg("facts.title", nil) }

func (r ReadFacts) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	rep := progress.Start(env.Progress(), msg("facts.progress", nil), len(st.Nodes))
	errs := eachNode(st.Nodes, func(_ int, n *wizard.Node) error {
		out, err := env.Read(ctx, n, facts.Command("docker"))
		if err == nil {
			n.Facts = facts.Parse(out)
			err = r.check(n)
		}
		rep.Item(n.Name(), err, n.Facts.OS+", docker "+n.Facts.DockerVersion)
		return err
	})
	rep.Stop()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return nil
}

// check refuses what no swarm can be built on.
func (r ReadFacts) check(n *wizard.Node) error {
	f := n.Facts
	switch {
	case !f.DockerInstalled:
		return errors.New(msg("facts.nodocker", n.Name()))
	case !f.DockerAnswers():
		return errors.New(msg("facts.dockerdown", n.Name()))
	}
	return nil
}
