package runbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A runbook is private (0600 even over an existing file), masks every join token, gives each
// step that ran a command one heading, and ends with how the run ended; a nil Book is a no-op.
func TestRunbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.md")
	os.WriteFile(path, []byte("old"), 0o644)
	b, err := Create(path, "create", "v1", time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	b.Step(1, "Where are your nodes?")
	b.Step(2, "Starting the swarm")
	b.Command("node1", "docker swarm init --advertise-addr 10.0.0.1", "the first manager", "To add a worker: docker swarm join --token SWMTKN-1-abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxy 10.0.0.1:2377", nil)
	b.Command("node1", "docker swarm join-token -q worker", "", "SWMTKN-1-abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxy", nil)
	b.Step(3, "Joining the workers")
	b.Command("node2", "docker swarm join --token SWMTKN-1-**** 10.0.0.1:2377", "", "", errors.New("node2: timeout"))
	b.Close("Stopped. Done so far: swarm started on node1.")
	b.Close("") // a second close is a no-op
	var nilBook *Book
	nilBook.Command("n", "c", "", "", nil)
	nilBook.Close("")

	fi, _ := os.Stat(path)
	raw, _ := os.ReadFile(path)
	got := string(raw)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	for _, want := range []string{
		"# Runbook: swarmwiz create", "2026-11-30 06:00 UTC",
		"\n## 2. Starting the swarm\n\nOn `node1`:\n\n```sh\ndocker swarm init --advertise-addr 10.0.0.1\n```\n\nWhy: the first manager\n",
		"docker swarm join --token SWMTKN-1-**** 10.0.0.1:2377",
		"## 3. Joining the workers", "**This failed:** node2: timeout",
		"## Stopped during step 3\n\nStopped. Done so far: swarm started on node1.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "abcdefghij") || strings.Contains(got, "## 1.") || strings.Count(got, "## 2.") != 1 || strings.Contains(got, "old") {
		t.Errorf("a token, an empty step, a repeated heading or the old content is in the runbook:\n%s", got)
	}
	if strings.Count(got, "```")%2 != 0 {
		t.Errorf("a code fence is left open:\n%s", got)
	}
}
