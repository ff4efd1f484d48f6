// Package remotetest is a fake node for unit tests: it answers commands from a table and
// records what ran, and answers docker API requests the same way.
package remotetest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/internal/remote"
)

// Node answers commands: the longest key of Replies that the command starts with wins.
// A docker API request is answered from the key "API METHOD PATH" (for example
// "API POST /swarm/join"); a Reply with a Status is a daemon error with Stderr as its message.
type Node struct {
	mu      sync.Mutex
	Replies map[string]Reply
	Ran     []string
	// API records every docker API request: "METHOD PATH BODY".
	API []string
}

// Reply is what a command prints, or how it fails.
type Reply struct {
	Out    string
	Status int // non-zero: a failed command
	Stderr string
}

func (n *Node) reply(key string) Reply {
	best := ""
	for k := range n.Replies {
		if strings.HasPrefix(key, k) && len(k) > len(best) {
			best = k
		}
	}
	return n.Replies[best]
}

// Run answers cmd.
func (n *Node) Run(_ context.Context, cmd string) (string, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Ran = append(n.Ran, cmd)
	r := n.reply(cmd)
	if r.Status != 0 {
		return r.Out, r.Stderr, &remote.CommandError{Cmd: cmd, Status: r.Status, Stderr: r.Stderr}
	}
	return r.Out, r.Stderr, nil
}

// DockerConn serves one docker API request from the table, over an in-memory connection.
func (n *Node) DockerConn(_ context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		req, err := http.ReadRequest(bufio.NewReader(server))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		key := "API " + req.Method + " " + req.URL.Path
		n.mu.Lock()
		n.API = append(n.API, strings.TrimSpace(req.Method+" "+req.URL.Path+" "+string(body)))
		r := n.reply(key)
		n.mu.Unlock()
		resp := &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Close: true}
		text := r.Out
		if r.Status != 0 {
			resp.StatusCode = r.Status
			b, _ := json.Marshal(map[string]string{"message": r.Stderr})
			text = string(b)
		}
		resp.Body = io.NopCloser(strings.NewReader(text))
		resp.ContentLength = int64(len(text))
		_ = resp.Write(server)
	}()
	return client, nil
}

// Close does nothing.
func (n *Node) Close() error { return nil }

// Commands is every command run, in order.
func (n *Node) Commands() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.Ran...)
}

// APIRequests is every docker API request, in order.
func (n *Node) APIRequests() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.API...)
}
