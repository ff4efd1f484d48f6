//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// recorded is one command of a runbook: the step it is under, the node, the command.
type recorded struct{ step, node, cmd string }

var (
	stepRE = regexp.MustCompile("^## \\d+\\. (.*)$")
	onRE   = regexp.MustCompile("^On `([^`]+)`:$")
)

// parseRunbook reads the commands of a runbook in order.
func parseRunbook(t *testing.T, text string) []recorded {
	t.Helper()
	var out []recorded
	var step, node string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if m := stepRE.FindStringSubmatch(lines[i]); m != nil {
			step = m[1]
		} else if m := onRE.FindStringSubmatch(lines[i]); m != nil {
			node = m[1]
		} else if lines[i] == "```sh" {
			var cmd []string
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				cmd = append(cmd, lines[i])
			}
			out = append(out, recorded{step, node, strings.Join(cmd, "\n")})
		}
	}
	return out
}

// roles is each node's role as docker node ls shows it: manager or worker.
func roles(t *testing.T, manager labNode) []string {
	var out []string
	for _, r := range nodeLs(t, manager) {
		role := "worker"
		if r["ManagerStatus"] != "" {
			role = "manager"
		}
		out = append(out, r["Hostname"].(string)+" "+role)
	}
	sort.Strings(out)
	return out
}

// `create --record` writes a runbook (mode 0600, no real token) whose docker commands,
// replayed by hand over SSH on the reset lab with the live swarm's tokens, build the same
// swarm.
func TestRecordRunbookReplays(t *testing.T) {
	nodes := sharedLab(t)
	book := filepath.Join(t.TempDir(), "seed.md")
	createSeed(t, "--record", book)
	want := roles(t, nodes[0])
	fi, err := os.Stat(book)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("runbook: %v, mode %v (want 0600)", err, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(book)
	text := string(raw)
	for _, role := range []string{"manager", "worker"} {
		if token := strings.TrimSpace(ssh(t, nodes[0], "docker swarm join-token -q "+role)); strings.Contains(text, token) {
			t.Errorf("the runbook holds the real %s token", role)
		}
	}
	if !strings.Contains(text, "# Runbook: swarmwiz create") || !strings.Contains(text, "The run finished here.") {
		t.Errorf("the runbook lacks its head or end:\n%s", text)
	}
	cmds := parseRunbook(t, text)
	byName := map[string]labNode{}
	for _, n := range nodes {
		byName[n.Name] = n
	}

	// Replay on a lab whose nodes are out of any swarm again.
	sharedLab(t)
	var first labNode
	joins := 0
	for _, c := range cmds {
		n, ok := byName[c.node]
		if !ok {
			t.Fatalf("the runbook names node %q, not in the lab:\n%s", c.node, text)
		}
		cmd := c.cmd
		if strings.Contains(cmd, "docker swarm init") {
			first = n
		}
		if strings.Contains(cmd, "SWMTKN-1-****") {
			role := "worker"
			if strings.Contains(c.step, "manager") {
				role = "manager"
			}
			token := strings.TrimSpace(ssh(t, first, "docker swarm join-token -q "+role))
			cmd = strings.ReplaceAll(cmd, "SWMTKN-1-****", token)
			joins++
		}
		ssh(t, n, cmd)
	}
	if joins != 6 {
		t.Errorf("want 6 joins in the runbook, got %d:\n%s", joins, text)
	}
	if got := roles(t, nodes[0]); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the replayed runbook built %v, the wizard %v", got, want)
	}
}
