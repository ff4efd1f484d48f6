package prelude

import (
	"context"
	"errors"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// ReadFacts learns each node's hostname, OS, docker engine, swarm state and addresses, in
// one read-only round trip per node, all nodes at once. What a node's swarm state means is
// for later steps (FindMembers) to judge.
type ReadFacts struct{}

func (ReadFacts) Title() string { return Msg("facts.title", nil) }

func (ReadFacts) Run(ctx context.Context, env *wizard.Env, st *wizard.State) error {
	rep := progress.Start(env.Progress(), Msg("facts.progress", nil), len(st.Nodes))
	errs := EachRead(env, st.Nodes, func(_ int, n *wizard.Node) error {
		var err error
		if n.ReadAhead {
			err, n.ReadAhead = n.ReadAheadErr, false
		} else {
			err = readNode(ctx, env, n)
		}
		rep.Item(n.Name(), err, factsNote(n))
		return err
	})
	rep.Stop()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return nil
}

// readNode reads n's facts and how far its clock is from this machine's.
func readNode(ctx context.Context, env *wizard.Env, n *wizard.Node) error {
	t0 := time.Now()
	err := ReadFactsOf(ctx, env, n)
	// The node read its clock somewhere between t0 and now: the midpoint is fair to a second
	// on any network a swarm runs on.
	mid := t0.Add(time.Since(t0) / 2)
	if n.Facts.Time != 0 {
		n.Skew = n.Facts.Time - mid.Unix()
	}
	return err
}

// readsAhead says whether Connect may read n's facts as soon as its connection is open,
// instead of after every node's: where no sudo is needed (root; SudoAccess has nothing to
// ask) and no verbose output would mix the two steps' lines.
func readsAhead(env *wizard.Env, st *wizard.State, n *wizard.Node) bool {
	return asRoot(st, n) && !env.Verbose
}

// factsNote is what the progress line says of a node read: its OS and docker, or that docker
// is missing or does not answer (the preflight explains).
func factsNote(n *wizard.Node) string {
	f := n.Facts
	switch {
	case !f.DockerInstalled:
		return Msg("facts.note.nodocker", f.OS)
	case !f.DockerAnswers():
		return Msg("facts.note.down", f.OS)
	}
	return Msg("facts.note", map[string]string{"OS": f.OS, "Docker": f.DockerVersion})
}

// ReadFactsOf reads the docker facts from the daemon's API over the SSH connection where sshd
// allows it, in parallel with the shell facts; where it does not, the docker client does it.
func ReadFactsOf(ctx context.Context, env *wizard.Env, n *wizard.Node) error {
	if _, ok := n.Conn.(remote.UnixDialer); !ok {
		return readFactsByClient(ctx, env, n)
	}
	if env.Verbose {
		env.Printf("  %s\n", Msg("facts.verbose.info", n.Name()))
	}
	// Over the node's kept docker connection (Node.Docker: its socket forwarded, else
	// `docker system dial-stdio`): the init, the joins and the node table later find it
	// open, a round trip saved each.
	api := n.Docker()
	var fromAPI facts.Facts
	if env.NoChecks {
		// make bench's fastest order: what docker says of itself, no more.
		err := facts.ReadAPI(ctx, api, &fromAPI)
		n.Facts = fromAPI
		return err
	}
	apiErr := make(chan error, 1)
	go func() { apiErr <- facts.ReadAPI(ctx, api, &fromAPI) }()
	out, err := env.Read(ctx, n, facts.Command(false))
	if err != nil {
		<-apiErr
		return err
	}
	if err := parseFacts(n, out); err != nil {
		<-apiErr
		return err
	}
	if err := <-apiErr; err != nil {
		var invalid *docker.InvalidAddrError
		if errors.As(err, &invalid) {
			return &failure.NodeError{Node: n.Name(), Err: err}
		}
		// No socket access this way (a non-root user, forwarding off, no daemon): ask the
		// docker client, which also tells a stopped daemon from a missing one.
		return readFactsByClient(ctx, env, n)
	}
	// Everything the API read, the daemon's data root and live-restore included: they were
	// left out once, and the certificates were then looked for under /var/lib/docker.
	n.Facts.DockerInstalled, n.Facts.DockerVersion, n.Facts.EngineID, n.Facts.Swarm = true, fromAPI.DockerVersion, fromAPI.EngineID, fromAPI.Swarm
	n.Facts.DockerRoot, n.Facts.LiveRestore = fromAPI.DockerRoot, fromAPI.LiveRestore
	return nil
}

func readFactsByClient(ctx context.Context, env *wizard.Env, n *wizard.Node) error {
	out, err := env.Read(ctx, n, facts.Command(true))
	if err != nil {
		return err
	}
	return parseFacts(n, out)
}

// parseFacts keeps what the node said; what it said that cannot be trusted is an error that
// names the node.
func parseFacts(n *wizard.Node, out string) error {
	f, err := facts.Parse(out)
	n.Facts = f
	if err != nil {
		return &failure.NodeError{Node: n.Name(), Err: err}
	}
	return nil
}
