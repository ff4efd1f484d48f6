//go:build windows

package remote

import (
	"io"
	"os"
	"strings"
)

// windowsAgentPipe is the named pipe of Windows' own OpenSSH agent (the ssh-agent service).
const windowsAgentPipe = `\\.\pipe\openssh-ssh-agent`

// agentAddr is where the ssh-agent listens: SSH_AUTH_SOCK when it names a pipe (as Git for
// Windows' or a user's setting may), else the OpenSSH agent's pipe, which is always tried.
func agentAddr(getenv func(string) string) string {
	if s := getenv("SSH_AUTH_SOCK"); strings.HasPrefix(s, `\\.\pipe\`) {
		return s
	}
	return windowsAgentPipe
}

// dialAgent opens the agent's named pipe; a pipe opens like a file on Windows.
func dialAgent(addr string) (io.ReadWriter, error) { return os.OpenFile(addr, os.O_RDWR, 0) }
