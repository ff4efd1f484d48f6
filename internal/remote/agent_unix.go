//go:build !windows

package remote

import (
	"io"
	"net"
)

// agentAddr is where the ssh-agent listens: SSH_AUTH_SOCK, a Unix socket; "" for none.
func agentAddr(getenv func(string) string) string { return getenv("SSH_AUTH_SOCK") }

// dialAgent opens the agent's socket.
func dialAgent(addr string) (io.ReadWriter, error) { return net.Dial("unix", addr) }
