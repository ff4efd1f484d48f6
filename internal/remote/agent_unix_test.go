//go:build !windows

package remote

import (
	"os"
	"path/filepath"
	"testing"
)

// Elsewhere the agent is SSH_AUTH_SOCK's Unix socket, and none without it.
func TestUnixAgentAddr(t *testing.T) {
	for _, sock := range []string{"", "/tmp/ssh-XXXX/agent.1"} {
		if got := agentAddr(func(string) string { return sock }); got != sock {
			t.Errorf("SSH_AUTH_SOCK %q: got %q", sock, got)
		}
	}
}

// Keys are looked for under $HOME/.ssh.
func TestUnixKeyPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "id_ecdsa"), []byte("x"), 0o600)
	if got := DefaultKeyFiles(); len(got) != 1 || got[0] != filepath.Join(home, ".ssh", "id_ecdsa") {
		t.Errorf("got %q", got)
	}
}
