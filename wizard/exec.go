package wizard

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Dialer opens a connection to one node; tests replace it with fakes.
type Dialer func(ctx context.Context, t remote.Target) (remote.Runner, error)

// DialSSH is the real Dialer.
func DialSSH(ctx context.Context, t remote.Target) (remote.Runner, error) {
	return remote.Dial(ctx, t)
}

// Mask hides join tokens unless the user asked to see them.
func (e *Env) Mask(s string) string {
	if e.ShowTokens {
		return s
	}
	return docker.MaskToken(s)
}

// Read runs a command that changes nothing; it runs in dry runs too.
func (e *Env) Read(ctx context.Context, n *Node, cmd string) (string, error) {
	if e.Verbose {
		e.Printf("  %s$ %s\n", n.Name(), e.Mask(firstLine(cmd)))
	}
	out, _, err := n.Conn.Run(ctx, cmd)
	if err != nil {
		return out, e.nodeErr(n, cmd, err)
	}
	return out, nil
}

// ReadBy is Read for a read made through the docker API rather than a shell command (a
// few milliseconds, where the docker client takes a noticeable fraction of a second to
// start); shown is the docker command it equals, shown with --verbose and named in errors.
func (e *Env) ReadBy(ctx context.Context, n *Node, shown string, do func(context.Context) error) error {
	if e.Verbose {
		e.Printf("  %s$ %s\n", n.Name(), e.Mask(firstLine(shown)))
	}
	if err := do(ctx); err != nil {
		return e.nodeErr(n, shown, err)
	}
	return nil
}

// Change runs a command that changes a node: explained first when asked (the exact command
// and why, so a learner can repeat it by hand), only shown in a dry run, and recorded in
// st.Done once it succeeded. An empty why explains nothing (the caller already did).
func (e *Env) Change(ctx context.Context, st *State, n *Node, cmd, why, done string) (string, error) {
	return e.change(ctx, st, n, cmd, why, done, func(ctx context.Context) (string, error) {
		out, _, err := n.Conn.Run(ctx, cmd)
		return out, err
	})
}

// ChangeBy is Change for a change made through the docker API rather than a shell command,
// so that a secret (a join token) is on no command line and in no log; shown is the docker
// command it equals, shown, explained and named in errors as usual, with tokens masked.
func (e *Env) ChangeBy(ctx context.Context, st *State, n *Node, shown, why, done string, do func(context.Context) error) error {
	_, err := e.change(ctx, st, n, shown, why, done, func(ctx context.Context) (string, error) { return "", do(ctx) })
	return err
}

func (e *Env) change(ctx context.Context, st *State, n *Node, shown, why, done string, do func(context.Context) (string, error)) (string, error) {
	if e.DryRun {
		e.Println("  " + templates.Msg("dryrun.would", map[string]string{"Node": n.Name(), "Cmd": e.Mask(shown)}))
		e.Record.Command(n.Name(), shown, why, templates.Msg("runbook.planned", nil), nil)
		return "", nil
	}
	if e.Explain && why != "" {
		e.ExplainCmd(n, shown, why)
	}
	out, err := do(ctx)
	if err != nil {
		err = e.nodeErr(n, shown, err)
	}
	e.Record.Command(n.Name(), shown, why, out, err)
	if err != nil {
		return out, err
	}
	if done != "" {
		st.Record(done)
		if !e.Quiet {
			e.Printf("  ✓ %s\n", e.Mask(done))
		}
	}
	return out, nil
}

// Teach records a read that a learner needs to repeat by hand (a join token), and explains
// it when asked; out is what it printed (masked in the runbook).
func (e *Env) Teach(n *Node, cmd, why, out string) {
	if e.Explain {
		e.ExplainCmd(n, cmd, why)
	}
	e.Record.Command(n.Name(), cmd, why, out, nil)
}

// Docker is the docker API of n's daemon, over n's connection. Its HTTP connection stays
// open between requests, as long as n keeps that connection: over SSH every new one is a
// channel opened, one round trip more per request (a sudo'ed docker's, a session and sudo).
func (n *Node) Docker() docker.API {
	dial := remote.DockerDialer(n.Conn)
	dockerMu.Lock()
	defer dockerMu.Unlock()
	if n.docker == nil || !sameConn(n.dockerFor, n.Conn) {
		if n.docker != nil {
			n.docker.CloseIdleConnections()
		}
		n.docker, n.dockerFor = docker.KeepAlive(dial), n.Conn
	}
	return docker.API{Dial: dial, HTTP: n.docker}
}

// dockerMu guards every node's kept docker client: steps work on nodes from many goroutines.
var dockerMu sync.Mutex

// sameConn says whether a and b are the same connection (a runner that cannot be compared
// is never the same: its client is made again).
func sameConn(a, b remote.Runner) bool {
	if a == nil || b == nil || !reflect.TypeOf(a).Comparable() || !reflect.TypeOf(b).Comparable() {
		return false
	}
	return a == b
}

// ExplainCmd prints a command as the learner would type it on n, and why.
func (e *Env) ExplainCmd(n *Node, cmd, why string) {
	e.Printf("  %s$ %s\n", n.Name(), e.Mask(cmd))
	if why != "" {
		e.Printf("    %s\n", templates.Msg("explain.why", why))
	}
}

// nodeErr names the node and the command, with tokens masked, and makes the error one line.
func (e *Env) nodeErr(n *Node, cmd string, err error) error {
	msg := e.Mask(strings.Join(strings.Fields(err.Error()), " "))
	// A script is named by its first line, the comment that says what it does.
	return &failure.NodeError{Node: n.Name(), Cmd: e.Mask(firstLine(cmd)), Err: fmt.Errorf("%s", msg)}
}

// firstLine shortens a script to its first line for --verbose: the templates' scripts start
// with a comment that says what they do.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// NodeErr is an error on node n while running cmd (or the docker API call it equals): the
// node and the command named, tokens masked, one line.
func (e *Env) NodeErr(n *Node, cmd string, err error) error { return e.nodeErr(n, cmd, err) }
