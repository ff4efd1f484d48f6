//go:build linux

package e2e

import (
	"bufio"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/templates"
)

// inKorean runs the binary as a learner whose machine speaks Korean, without a terminal.
func inKorean(t *testing.T, args ...string) result {
	t.Helper()
	return runIn(t, koreanEnv(), args...)
}

// koreanEnv is this process's environment with the Korean locale.
func koreanEnv() []string {
	env := englishEnv()
	return append(env[:len(env)-1], korean...)
}

// dockerOwn is what docker and the nodes print themselves, kept as they print it: docker's
// tables (a header with HOSTNAME, ID or NAME to the next blank line), OS names and engine
// versions read from the nodes.
var dockerOwn = []*regexp.Regexp{
	regexp.MustCompile(`(?m)^.*\b(HOSTNAME|NAME|ID)\b.*\n(.+\n)*`),
	regexp.MustCompile(`Debian GNU/Linux \d+ \(\w+\)`),
}

// noStrayBefore restarts the nodes' daemons before the swarm that a check then sends overlay
// traffic over is formed (see freshDaemons).
var noStrayBefore = map[string]bool{"create": true}

// strayKorean is the English a Korean learner did not ask for in out: templates.StrayEnglish
// once docker's own output is out.
func strayKorean(out string, allow ...string) []string {
	for _, re := range dockerOwn {
		out = re.ReplaceAllString(out, "\n")
	}
	// docker's own words for a node's and a manager's state, and its subcommands, which the
	// Korean material keeps as docker prints them.
	docker := []string{"active", "inactive", "pending", "locked", "unknown", "Ready", "Down", "Leader", "Reachable", "Unreachable", "promote", "demote"}
	return templates.StrayEnglish(out, append(append(allow, docker...), "swarmwiz-probe", "swarmwiz-drill", "probe", "dnsrr", "global", "tasks")...)
}

// Korean to the last word: create, status, check, leave, drill (with recover), lab up, lab
// status, lab down and classroom serve, run as a Korean learner would, leave no English of
// swarmwiz's own on the screen, by the stricter guard.
func TestKoreanCommandsHaveNoStrayEnglish(t *testing.T) {
	nodes := sharedLab(t)
	addr := nodes[0].Address
	runs := []struct {
		name string
		args []string
		code int
	}{
		{"create", []string{"create", "--lab", labName, "--yes", "--advertise-addr", addr, "--managers", "3"}, 0},
		{"status", []string{"status", "--lab", labName}, 0},
		{"check", []string{"check", "--lab", labName}, 0},
		{"leave", []string{"leave", "--lab", labName, "--yes", "node7"}, 0},
		{"create again", []string{"create", "--lab", labName, "--yes", "--advertise-addr", addr, "--managers", "3"}, 0},
		{"drill", []string{"drill", "--lab", labName, "--yes"}, 0},
		{"lab status", []string{"lab", "status", "--name", labName}, 0},
		{"lab up", []string{"lab", "up", "--name", "e2eko", "--nodes", "1", "--subnet", "198.18.120.0/24"}, 0},
		{"lab down", []string{"lab", "down", "--name", "e2eko"}, 0},
	}
	t.Cleanup(func() { runOut(bin, "lab", "down", "--name", "e2eko") })
	for _, r := range runs {
		if noStrayBefore[r.name] {
			freshDaemons(t, nodes)
		}
		got := inKorean(t, r.args...)
		if got.code != r.code {
			t.Errorf("%s in Korean: want exit %d: %s", r.name, r.code, got)
			continue
		}
		if stray := strayKorean(got.out + "\n" + got.err); len(stray) > 0 {
			t.Errorf("%s in Korean shows English: %q\n%s", r.name, stray, got)
		}
	}
	// The classroom's serve lines, in Korean.
	serve := exec.Command(bin, "classroom", "serve", "--listen", "127.0.0.1:0", "--code", "KOREAN1")
	serve.Env = koreanEnv()
	out, _ := serve.StdoutPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(lines) < 3 {
		lines = append(lines, sc.Text())
	}
	if stray := strayKorean(strings.Join(lines, "\n"), "THEIR-NAME"); len(lines) < 3 || len(stray) > 0 {
		t.Errorf("classroom serve in Korean shows English: %q\n%s", stray, strings.Join(lines, "\n"))
	}
}
