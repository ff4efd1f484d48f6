package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ReadFacts learns each node's hostname, OS, docker engine, swarm state and addresses, in
// one read-only round trip per node, all nodes at once. What a node's swarm state means is
// for later steps (FindMembers) to judge.
type ReadFacts struct{}

func (ReadFacts) Title() string { return msg("facts.title", nil) }

func (ReadFacts) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	rep := progress.Start(env.Progress(), msg("facts.progress", nil), len(st.Nodes))
	errs := eachNode(env, st.Nodes, func(_ int, n *wizard.Node) error {
		t0 := time.Now()
		err := readFacts(ctx, env, n)
		// The node read its clock somewhere between t0 and now: the midpoint is fair to a
		// second on any network a swarm runs on.
		mid := t0.Add(time.Since(t0) / 2)
		if n.Facts.Time != 0 {
			n.Skew = n.Facts.Time - mid.Unix()
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

// readFacts reads the docker facts from the daemon's API over the SSH connection where sshd
// allows it, in parallel with the shell facts; where it does not, the docker client does it.
func readFacts(ctx context.Context, env *wizard.Env, n *wizard.Node) error {
	ud, ok := n.Conn.(remote.UnixDialer)
	if !ok {
		out, err := env.Read(ctx, n, facts.Command("docker"))
		n.Facts = facts.Parse(out)
		return err
	}
	if env.Verbose {
		fmt.Fprintf(env.Out, "  %s: docker info (asked of the daemon's API through the SSH connection)\n", n.Name())
	}
	var api facts.Facts
	apiErr := make(chan error, 1)
	go func() { apiErr <- facts.ReadAPI(ctx, ud.DialUnix, &api) }()
	out, err := env.Read(ctx, n, facts.Command(""))
	if err != nil {
		<-apiErr
		return err
	}
	n.Facts = facts.Parse(out)
	if <-apiErr != nil {
		// No socket access this way (a non-root user, forwarding off, no daemon): ask the
		// docker client, which also tells a stopped daemon from a missing one.
		out, err = env.Read(ctx, n, facts.Command("docker"))
		n.Facts = facts.Parse(out)
		return err
	}
	n.Facts.DockerInstalled, n.Facts.DockerVersion, n.Facts.EngineID, n.Facts.Swarm = true, api.DockerVersion, api.EngineID, api.Swarm
	return nil
}
