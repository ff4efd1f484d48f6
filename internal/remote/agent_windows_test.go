//go:build windows

package remote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On Windows the agent is the OpenSSH service's named pipe, unless SSH_AUTH_SOCK names
// another pipe; a Unix-style SSH_AUTH_SOCK (from a WSL habit) is not a pipe and is passed over.
func TestWindowsAgentAddr(t *testing.T) {
	for sock, want := range map[string]string{
		"":                           windowsAgentPipe,
		"/tmp/ssh-XXXX/agent.1":      windowsAgentPipe,
		`\\.\pipe\my-agent`:          `\\.\pipe\my-agent`,
		`\\.\pipe\openssh-ssh-agent`: windowsAgentPipe,
	} {
		if got := agentAddr(func(string) string { return sock }); got != want {
			t.Errorf("SSH_AUTH_SOCK %q: got %q, want %q", sock, got, want)
		}
	}
}

// Keys are looked for under %USERPROFILE%\.ssh, where Windows' OpenSSH keeps them.
func TestWindowsKeyPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("USERPROFILE", home)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), []byte("x"), 0o600)
	got := DefaultKeyFiles()
	if len(got) != 1 || !strings.EqualFold(got[0], home+`\.ssh\id_ed25519`) {
		t.Errorf("got %q", got)
	}
}
