//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fullToken matches a real join token; masked output shows SWMTKN-1-**** only.
var fullToken = regexp.MustCompile(`SWMTKN-1-[0-9a-z]{20,}`)

func noFullToken(t *testing.T, out string) {
	t.Helper()
	if m := fullToken.FindString(out); m != "" {
		t.Errorf("a full join token was printed: %s", m)
	}
}

// chooseLab answers "where are the nodes" with the practice lab, and the e2e lab when
// several labs exist on this machine.
func chooseLab(s *session) {
	s.expect("Where are the machines")
	s.send(keyDown, keyEnter)
	if s.expectAny("Which practice lab?", "Which node starts") == "Which practice lab?" {
		// Other labs may exist on a developer's machine: type to filter, as a user would.
		s.send("e", "2", "e", keyEnter)
		s.expect("Which node starts")
	}
}

// availability answers the managers' availability question (active) where it is asked, then
// waits for next.
func availability(s *session, next string) {
	s.t.Helper()
	if s.expectAny("Should the managers run containers too?", next) != next {
		s.send(keyEnter)
		s.expect(next)
	}
}

var tableHeader = regexp.MustCompile(`ID +HOSTNAME +STATUS`)

// tableRows reads the node table swarmwiz printed last: docker's columns, one row a node.
func tableRows(t *testing.T, out string) [][]string {
	t.Helper()
	loc := tableHeader.FindAllStringIndex(out, -1)
	i := -1
	if len(loc) > 0 {
		i = loc[len(loc)-1][0]
	}
	if i < 0 {
		t.Fatalf("no node table in:\n%s", out)
	}
	lines := strings.Split(out[i:], "\n")
	header := lines[0]
	for _, col := range []string{"ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"} {
		if !strings.Contains(header, col) {
			t.Errorf("table header lacks %s: %q", col, header)
		}
	}
	var rows [][]string
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		rows = append(rows, strings.Fields(strings.Replace(l, " *", "", 1)))
	}
	return rows
}

// The seed's topology, built by answering the wizard in a terminal: 7 nodes, 3 managers
// (one Leader, two Reachable), 4 workers, all Ready and Active, and docker agrees.
func TestWizardBuildsSeedTopology(t *testing.T) {
	nodes := sharedLab(t)
	freshDaemons(t, nodes) // its run ends with the check
	s := startPTY(t, nil)
	chooseLab(s)
	s.send(keyEnter) // node1 starts the swarm
	s.expect("Which address does node1 advertise?")
	s.expect("the address used for SSH")
	s.send(keyEnter)
	s.expect("How many managers (1 to 7)?")
	s.send(keyEnter) // the default, 3
	s.expect("Choose 2 more managers")
	s.send(keyEnter) // node2 and node3, preselected
	s.expect("Should the managers run containers too?")
	s.send(keyEnter) // yes (active), as in the guide
	s.expect("Build this swarm now?")
	s.send("y", keyEnter)
	s.expect("Save this plan to a file")
	s.send("y", keyEnter)
	s.expect("Plan file:")
	saved := filepath.Join(t.TempDir(), "seed.yaml")
	s.send(strings.Split(saved, "")...)
	s.send(keyEnter)
	// The run ends with proof: the check, offered on a terminal, answered yes.
	s.expect("Prove the swarm works now")
	s.send("y", keyEnter)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	out := s.text()
	if !strings.Contains(out, "✓ 42 of 42 directed pairs work over the overlay") {
		t.Errorf("the offered check did not prove all 42 pairs:\n%s", out)
	}
	noFullToken(t, out)
	spinnerNeverSharesALine(t, s.raw.String())
	checkSavedPlan(t, saved, 7)
	rows := tableRows(t, out)
	if len(rows) != 7 {
		t.Fatalf("want 7 rows, got %d:\n%s", len(rows), out)
	}
	leaders, reachable := 0, 0
	for _, r := range rows {
		if r[2] != "Ready" || r[3] != "Active" {
			t.Errorf("row %v: not Ready and Active", r)
		}
		if len(r) > 5 && r[4] == "Leader" {
			leaders++
		}
		if len(r) > 5 && r[4] == "Reachable" {
			reachable++
		}
	}
	if leaders != 1 || reachable != 2 {
		t.Errorf("want 1 Leader and 2 Reachable, got %d and %d:\n%s", leaders, reachable, out)
	}
	if !strings.Contains(out, "All 7 nodes passed every check") {
		t.Errorf("a clean lab should pass preflight without findings:\n%s", out)
	}
	if !strings.Contains(out, "3 managers: quorum 2, tolerates 1 failure") {
		t.Errorf("no quorum health line:\n%s", out)
	}
	// Read back with docker itself.
	back := nodeLs(t, nodes[0])
	hosts := map[string]bool{}
	for _, r := range back {
		hosts[r["Hostname"].(string)] = true
		if r["Status"] != "Ready" || r["Availability"] != "Active" {
			t.Errorf("docker node ls: %v", r)
		}
	}
	for _, n := range nodes {
		if !hosts[n.Name] {
			t.Errorf("docker node ls lacks %s: %v", n.Name, back)
		}
	}
}

// The manager count is taught: an even count is warned about with the quorum reason, and 0,
// "abc" and 8 of 7 are refused with a reason and asked again. Ctrl-C there exits 130 and no
// node's swarm state changed.
func TestWizardManagerCountAndCtrlC(t *testing.T) {
	sharedLab(t)
	s := startPTY(t, nil)
	chooseLab(s)
	s.send(keyEnter)
	s.expect("advertise?")
	s.send(keyEnter)
	s.expect("How many managers (1 to 7)?")
	s.send("\x7f", "4", keyEnter) // erase the default 3
	s.expect("4 managers need 3 to agree and tolerate 1 failure, no more than 3 managers do")
	s.expect("Keep 4 managers anyway?")
	s.send("n", keyEnter)
	for _, c := range []struct{ in, why string }{
		{"0", "a swarm needs at least 1 manager"},
		{"abc", "is not a number"},
		{"8", "there are only 7 nodes"},
	} {
		s.expect("How many managers (1 to 7)?")
		s.send(strings.Repeat("\x7f", 4))
		s.send(strings.Split(c.in, "")...)
		s.send(keyEnter)
		s.expect(c.why)
	}
	s.send(keyCtrlC)
	if code := s.wait(); code != 130 {
		t.Fatalf("Ctrl-C: exit %d, want 130\n%s", code, s.text())
	}
	if !strings.Contains(s.text(), "Nothing was changed on any node") {
		t.Errorf("no account of what was done:\n%s", s.text())
	}
	if strings.Contains(s.text(), "goroutine ") {
		t.Errorf("stack trace on Ctrl-C:\n%s", s.text())
	}
	for _, n := range labStatus(t, labName) {
		if n.Swarm != "inactive" {
			t.Errorf("%s swarm state %s after Ctrl-C", n.Name, n.Swarm)
		}
	}
}

// An advertise address that is not an IP, or not one of the node's own, is asked again.
func TestWizardRefusesBadAdvertiseAddress(t *testing.T) {
	sharedLab(t)
	s := startPTY(t, nil)
	chooseLab(s)
	s.send(keyEnter)
	s.expect("Type another address")
	s.send(keyDown, keyEnter)
	s.expect("IP address of node1 to advertise:")
	s.send(strings.Split("not-an-ip", "")...)
	s.send(keyEnter)
	s.expect(`"not-an-ip" is not an IP address`)
	s.send(strings.Repeat("\x7f", 12))
	s.send(strings.Split("10.9.9.9", "")...)
	s.send(keyEnter)
	s.expect("10.9.9.9 is not an address of node1")
	s.send(keyCtrlC)
	if code := s.wait(); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
}

// A node whose sshd is stopped is named with the reason before anything changes; leaving it
// out lets the wizard finish with the other six.
func TestWizardDropsUnreachableNode(t *testing.T) {
	nodes := sharedLab(t)
	down := nodes[6]
	stopNode(t, down.Name)
	s := startPTY(t, nil)
	s.expect("Where are the machines")
	s.send(keyDown, keyEnter)
	if s.expectAny("Which practice lab?", "What now?") == "Which practice lab?" {
		s.send("e", "2", "e", keyEnter)
		s.expect("What now?")
	}
	if want := down.Address + ": the machine answers, but nothing listens on its SSH port: sshd is stopped there"; !strings.Contains(s.text(), want) {
		t.Errorf("the stopped node is not named with the reason %q:\n%s", want, s.text())
	}
	for _, n := range labStatus(t, labName)[:6] {
		if n.Swarm != "inactive" {
			t.Errorf("%s changed before the failure was resolved: %s", n.Name, n.Swarm)
		}
	}
	s.send(keyDown, keyDown, keyEnter) // Leave this node out
	s.expect("Which node starts")
	s.send(keyEnter)
	s.expect("advertise?")
	s.send(keyEnter)
	s.expect("How many managers (1 to 6)?")
	s.send(keyEnter)
	s.expect("Choose 2 more managers")
	s.send(keyEnter)
	availability(s, "Build this swarm now?")
	s.send("y", keyEnter)
	s.expect("Save this plan to a file")
	s.send("n", keyEnter)
	s.expect("Prove the swarm works now")
	s.send("n", keyEnter)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	if rows := tableRows(t, s.text()); len(rows) != 6 {
		t.Errorf("want 6 nodes, got %d", len(rows))
	}
}

// Hosts given by address are checked against the user's known_hosts: an unknown key shows
// its fingerprint and is trusted only on yes; a changed key stops that node with a warning.
func TestWizardHostKeys(t *testing.T) {
	nodes := sharedLab(t)
	home := t.TempDir()
	env := []string{"HOME=" + home}
	known := filepath.Join(home, ".ssh", "known_hosts")
	fp := fingerprint(t, nodes[0])

	s := startPTY(t, env)
	s.expect("Where are the machines")
	s.send(keyEnter)
	s.expect("Node addresses")
	s.send(strings.Split(nodes[0].Address+", "+nodes[1].Address, "")...)
	s.send(keyEnter)
	s.expect("SSH user on the nodes")
	s.send(keyEnter) // root
	s.expect("Private key file")
	s.send(strings.Split(nodes[0].IdentityFile, "")...)
	s.send(keyEnter)
	s.expect("2 hosts are not in " + known)
	s.expect(fp)
	s.expect("Trust these 2 host keys")
	s.send("y", keyEnter)
	s.expect("Which node starts")
	s.send(keyCtrlC)
	if code := s.wait(); code != 130 {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	b, _ := os.ReadFile(known)
	if !strings.Contains(string(b), nodes[0].Address+" ssh-ed25519 ") {
		t.Fatalf("trusted key not in known_hosts:\n%s", b)
	}

	// Now give node1's address node2's key: as if node1 had been replaced.
	other, _ := os.ReadFile(nodes[1].KnownHostsFile)
	var key string
	for _, l := range strings.Split(string(other), "\n") {
		if strings.HasPrefix(l, nodes[1].Address+" ") {
			key = strings.TrimPrefix(l, nodes[1].Address+" ")
		}
	}
	os.WriteFile(known, []byte(nodes[0].Address+" "+key+"\n"), 0o600)
	s = startPTY(t, env, "--host", nodes[0].Address, "--ssh-user", "root", "--ssh-key", nodes[0].IdentityFile)
	s.expect("host key of " + nodes[0].Address + " has CHANGED")
	s.expect("ssh-keygen -f " + known + " -R " + nodes[0].Address)
	s.expect("What now?")
	s.send(keyDown, keyEnter) // Quit
	if code := s.wait(); code == 0 {
		t.Fatalf("a changed host key was accepted\n%s", s.text())
	}
	if st := labStatus(t, labName)[0]; st.Swarm != "inactive" {
		t.Errorf("node1 changed: %s", st.Swarm)
	}
}

func fingerprint(t *testing.T, n labNode) string {
	t.Helper()
	out, err := runOut("ssh-keygen", "-l", "-F", n.Address, "-f", n.KnownHostsFile)
	if err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "SHA256:") {
			return f
		}
	}
	t.Fatalf("no fingerprint in %q", out)
	return ""
}

// NO_COLOR turns colour off: no SGR colour sequence reaches the terminal.
func TestNoColor(t *testing.T) {
	sgr := regexp.MustCompile(`\x1b\[[0-9;]*[1-9][0-9;]*m`)
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		s := startPTY(t, env)
		s.expect("Where are the machines")
		s.send(keyCtrlC)
		if code := s.wait(); code != 130 {
			t.Fatalf("%v: exit %d", env, code)
		}
		coloured := sgr.MatchString(s.raw.String())
		if coloured != (env == nil) {
			t.Errorf("env %v: coloured output %v", env, coloured)
		}
	}
}

// spinnerFrames are the spinner's frames (briandowns/spinner's set 14).
const spinnerFrames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

// spinnerNeverSharesALine replays what the terminal showed, line by line (a carriage return
// goes back to the start of the line, ESC [ K erases to its end, other escapes draw nothing),
// and fails where a line holds both a spinner frame and a result mark.
func spinnerNeverSharesALine(t *testing.T, raw string) {
	t.Helper()
	for _, line := range visibleLines(raw) {
		if strings.ContainsAny(line, spinnerFrames) && strings.ContainsAny(line, "✓✗") {
			t.Errorf("a spinner frame and a result share a line: %q", line)
		}
	}
	if !strings.ContainsAny(raw, spinnerFrames) {
		t.Errorf("no spinner was drawn at all: the check saw nothing to check")
	}
}

// visibleLines is raw terminal output as the lines a person finally sees.
func visibleLines(raw string) []string {
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		var buf []rune
		cur := 0
		rs := []rune(l)
		for i := 0; i < len(rs); i++ {
			switch r := rs[i]; {
			case r == '\r':
				cur = 0
			case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
				j := i + 2
				for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
					j++
				}
				if j < len(rs) && rs[j] == 'K' {
					buf = buf[:min(cur, len(buf))]
				}
				i = j
			case r == 0x1b:
				i++ // a two-character escape
			case r < 0x20:
			default:
				if cur < len(buf) {
					buf[cur] = r
				} else {
					buf = append(buf, r)
				}
				cur++
			}
		}
		lines = append(lines, string(buf))
	}
	return lines
}
