package templates_test

import (
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/facts"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/steps/check"
	"github.com/swarmwiz/swarmwiz/steps/create"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/steps/quorum"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// koGoldens are the main texts in Korean, rendered when the test runs (after the language
// is set), each from the program's own function and types.
var koGoldens = map[string]func() string{
	"summary": func() string { return create.SummaryText(koSummaryState()) },
	"preflight": func() string {
		return create.PreflightText(preflight.Check(koPreflightNodes(), "10.0.2.15", preflight.Options{}))
	},
	"quorum-table": func() string { return create.QuorumText(5) },
	"managers-seen": func() string {
		return quorum.ManagersSeenText([][]string{{"node1", "198.18.0.2", templates.Msg("status.answers.yes", nil)}, {"swarm-manager-03.example.lan", "198.18.0.4", templates.Msg("status.answers.no", nil)}})
	},
	"new-host-keys": func() string {
		return prelude.NewHostKeysText([]*remote.UnknownHostError{{Host: "10.0.0.11", Fingerprint: "SHA256:abc", Key: hostKey()}}, "/root/.ssh/known_hosts")
	},
	"next-steps": func() string { return create.NextStepsText(3, "lab", "swarmwiz-probe:v1.0") },
	// Korean hostnames and verdicts, the diagonal's · and the ✓/✗ marks (ambiguous width).
	"check-matrix": func() string {
		return check.CheckText(&check.CheckResult{Network: "overlay", Nodes: []string{"매니저1", "node2", "작업자-03"},
			Pairs: []check.CheckPair{{From: "매니저1", To: "node2", OK: true}, {From: "매니저1", To: "작업자-03", OK: false},
				{From: "node2", To: "매니저1", OK: true}, {From: "node2", To: "작업자-03", OK: true},
				{From: "작업자-03", To: "매니저1", OK: false}, {From: "작업자-03", To: "node2", OK: true}},
			Working: 4, Total: 6, Seconds: 3.2})
	},
	"lab-status": func() string {
		s, _ := templates.Render("lab-status.tmpl", map[string]any{"Name": "lab", "Subnet": "198.18.0.0/24",
			"Rows": [][]string{{"node1", "198.18.0.2", templates.Msg("lab.status.up", nil), templates.Msg("lab.status.down", nil), "active"}}})
		return s
	},
}

func koSummaryState() *wizard.State {
	st := summaryState()
	st.Nodes[1].Facts.OS = "Debian GNU/Linux 12 (bookworm)"
	return st
}

// koPreflightNodes find something of every kind a learner meets: an old docker, a skewed
// clock, a firewall, a small MTU, a node of another swarm, and a shared NAT address.
func koPreflightNodes() []preflight.Node {
	base := func(name, ip string) facts.Facts {
		return facts.Facts{Hostname: name, OSID: "centos", OSVersion: "7", DockerInstalled: true, DockerVersion: "24.0.7",
			Addrs: []facts.Addr{{IP: ip, Iface: "eth1"}, {IP: "10.0.2.15", Iface: "eth0"}}, Swarm: docker.Swarm{LocalNodeState: "inactive"}}
	}
	n1 := base("swarm-manager-01", "192.168.56.11")
	n1.Firewalld = "running"
	n2 := base("node2", "192.168.56.12")
	n2.DockerVersion = "1.13.1"
	n2.Swarm.LocalNodeState = "active"
	n2.MTU = map[string]int{"eth1": 1400}
	return []preflight.Node{{Name: "swarm-manager-01", Addr: "192.168.56.11", Facts: n1},
		{Name: "node2", Addr: "192.168.56.12", Facts: n2, Skew: 95}}
}

// The main texts in Korean are as their golden files say (testdata/NAME.ko.golden; -update
// rewrites them), and every table in them lines up by display width: a Hangul syllable is
// two columns on a terminal.
func TestKoreanGolden(t *testing.T) {
	templates.SetLang("ko")
	defer templates.SetLang("en")
	// As under LANG=ko_KR.UTF-8: go-runewidth then counts ambiguous characters (·) as two.
	defer func(v bool) { runewidth.DefaultCondition.EastAsianWidth = v }(runewidth.DefaultCondition.EastAsianWidth)
	runewidth.DefaultCondition.EastAsianWidth = true
	for name, render := range koGoldens {
		t.Run(name, func(t *testing.T) {
			got := render()
			compareGolden(t, name+".ko.golden", got)
			if english := catalogEnglish(got); english != "" {
				t.Errorf("%s in Korean still shows English of the catalog: %q", name, english)
			}
			if name != "next-steps" {
				checkAligned(t, got)
			}
		})
	}
}

// checkAligned finds each table (a header line of capitalised or Hangul words three spaces
// apart, and the lines under it) and checks that every row's cells start at the header's
// columns, counted in display width.
func checkAligned(t *testing.T, text string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	tables := 0
	for i := 0; i < len(lines); i++ {
		cols := columnStarts(lines[i])
		if len(cols) < 3 {
			continue
		}
		tables++
		for j := i + 1; j < len(lines) && strings.TrimSpace(lines[j]) != ""; j++ {
			row := columnStarts(lines[j])
			for _, c := range row {
				if c > cols[len(cols)-1] {
					break // the last column is not padded and may hold spaces
				}
				if !contains(cols, c) && !strings.HasPrefix(strings.TrimSpace(lines[j]), templates.Msg("preflight.fix", "")) {
					t.Errorf("line %q: a cell starts at column %d, not at one of the header's %v", lines[j], c, cols)
				}
			}
		}
	}
	if tables == 0 {
		t.Errorf("no table found in:\n%s", text)
	}
}

// columnStarts are the display columns where cells start: after two or more spaces.
func columnStarts(line string) []int {
	var out []int
	col, spaces := 0, 0
	for _, r := range line {
		if r == ' ' {
			spaces++
		} else {
			if spaces >= 2 || (col == spaces && len(out) == 0) {
				out = append(out, col)
			}
			spaces = 0
		}
		col += terminal.RuneWidth(r)
	}
	return out
}

// terminal is how a terminal draws characters, whatever the locale: Hangul two columns,
// ambiguous characters (·, ✓, ✗) one. Independent of templates.Width, which it checks.
var terminal = &runewidth.Condition{EastAsianWidth: false}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// catalogEnglish is an English sentence of the catalog found in s (a run of four or more
// words of one English message, outside template actions), or "".
func catalogEnglish(s string) string {
	for _, frag := range templates.Phrases("en") {
		if strings.Contains(s, frag) {
			return frag
		}
	}
	return ""
}
