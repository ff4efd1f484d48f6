// Package remotetest is a fake node for unit tests: it answers commands from a table and
// records what ran.
package remotetest

import (
	"context"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/internal/remote"
)

// Node answers commands: the longest key of Replies that the command starts with wins.
type Node struct {
	mu      sync.Mutex
	Replies map[string]Reply
	Ran     []string
}

// Reply is what a command prints, or how it fails.
type Reply struct {
	Out    string
	Status int // non-zero: a failed command
	Stderr string
}

// Run answers cmd.
func (n *Node) Run(_ context.Context, cmd string) (string, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Ran = append(n.Ran, cmd)
	best := ""
	for k := range n.Replies {
		if strings.HasPrefix(cmd, k) && len(k) > len(best) {
			best = k
		}
	}
	r := n.Replies[best]
	if r.Status != 0 {
		return r.Out, r.Stderr, &remote.CommandError{Cmd: cmd, Status: r.Status, Stderr: r.Stderr}
	}
	return r.Out, r.Stderr, nil
}

// Close does nothing.
func (n *Node) Close() error { return nil }

// Commands is every command run, in order.
func (n *Node) Commands() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.Ran...)
}
