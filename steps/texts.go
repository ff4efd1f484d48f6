package steps

import (
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// The multi-line texts the steps show, each built from the run's own types by one function:
// the steps print what these return, and the golden tests read the same.

// SummaryText is the plan about to be built: every node with its role, then the counts.
func SummaryText(st *wizard.State) string {
	var rows [][]string
	for _, n := range st.Nodes {
		rows = append(rows, []string{n.Name(), n.Host, planRole(st, n), n.Facts.OS, n.Facts.DockerVersion})
	}
	return text("summary", struct {
		Rows                                 [][]string
		First, Advertise                     string
		Managers, Quorum, Tolerates, Workers int
		Init                                 string
	}{rows, st.First.Name(), st.Advertise, st.Managers, docker.Quorum(st.Managers), docker.Tolerates(st.Managers),
		len(st.Nodes) - st.Managers, initSummary(st.Init)})
}

// planRole is what the summary says of a node's role: the plan, and where the swarm differs,
// what it is now and what will change.
func planRole(st *wizard.State, n *wizard.Node) string {
	switch {
	case n == st.First && n.Member:
		return msg("role.first.in", nil)
	case n == st.First && n.LeaveOther:
		return msg("role.first.restart", nil)
	case n == st.First:
		return msg("role.first", nil)
	case n.Member && n.InRole != n.Role:
		return msg("role.change", map[string]string{"From": string(n.InRole), "To": string(n.Role)})
	case n.Member:
		return msg("role.in", string(n.Role))
	case n.LeaveOther:
		return msg("role.leaveother", string(n.Role))
	case len(n.Stale) > 0:
		return msg("role.stale", string(n.Role))
	}
	return msg("role.word", string(n.Role))
}

// QuorumText is the Raft quorum table for 1 to max managers.
func QuorumText(max int) string {
	rows := make([][]string, max)
	for i := range rows {
		n := i + 1
		note := ""
		if n > 1 && n%2 == 0 {
			note = msg("quorum.even", n-1)
		}
		rows[i] = []string{"  " + strconv.Itoa(n), strconv.Itoa(docker.Quorum(n)), strconv.Itoa(docker.Tolerates(n)), note}
	}
	return text("quorum-table", rows)
}

// NewHostKeysText lists hosts not in knownHosts yet, with each key's type, fingerprint and
// the command that prints the same fingerprint on the machine.
func NewHostKeysText(unknown []*remote.UnknownHostError, knownHosts string) string {
	var rows [][]string
	for _, u := range unknown {
		rows = append(rows, []string{"  " + u.Host, u.Type(), u.Fingerprint, "ssh-keygen -lf " + u.PubFile()})
	}
	return text("new-host-keys", struct {
		Hosts      []*remote.UnknownHostError
		Rows       [][]string
		KnownHosts string
	}{unknown, rows, knownHosts})
}

// NodeTableText is the node list in `docker node ls`'s columns, each as wide as it needs.
func NodeTableText(nodes []docker.Node) string {
	var rows [][]string
	for _, n := range nodes {
		id := n.ID
		if n.Self {
			id += " *" // the node docker node ls ran on, as docker marks it
		}
		rows = append(rows, []string{id, n.Hostname, n.Status, n.Availability, n.ManagerStatus, n.EngineVersion})
	}
	return text("node-table", rows)
}

// PreflightText is the table of what the checks found, each fix on a line of its own under
// the result.
func PreflightText(findings []preflight.Finding) string {
	var rows [][]string
	for _, f := range findings {
		rows = append(rows, []string{f.Level.String(), f.Node, f.Check, f.Result})
		if f.Fix != "" {
			rows = append(rows, []string{msg("preflight.fix", f.Fix)})
		}
	}
	return text("preflight", rows)
}

// NextStepsText is what to try once the swarm is ready; lab names the practice lab the nodes
// are, so the commands it suggests work as typed.
func NextStepsText(managers int, lab, image string) string {
	return text("next-steps", struct {
		Managers int
		Lab      string
		Image    string
	}{managers, lab, image})
}

// text renders a text template without its final line break: it is printed as one line.
func text(name string, data any) string {
	return strings.TrimRight(templates.MustRender(name+".tmpl", data), "\n")
}

// CheckText is a check's result: the matrix (rows: from, columns: to), the nodes left out,
// a line per failing pair, the fixes, the routing mesh, and the one-line result.
func CheckText(r *CheckResult) string {
	ok := map[[2]string]bool{}
	tested := map[[2]string]bool{}
	for _, p := range r.Pairs {
		tested[[2]string{p.From, p.To}] = true
		ok[[2]string{p.From, p.To}] = p.OK
	}
	var rows [][]string
	for _, from := range r.Nodes {
		row := []string{from}
		for _, to := range r.Nodes {
			k := [2]string{from, to}
			switch {
			case from == to:
				row = append(row, "·")
			case !tested[k]:
				row = append(row, "?")
			case ok[k]:
				row = append(row, "✓")
			default:
				row = append(row, "✗")
			}
		}
		rows = append(rows, row)
	}
	lines := []string{text("check-matrix", map[string]any{"Header": append([]string{msg("check.matrix.corner", nil)}, r.Nodes...), "Rows": rows}), ""}
	for _, s := range r.Untested {
		lines = append(lines, "  "+msg("check.untested", s))
	}
	for _, s := range r.Skipped {
		lines = append(lines, "  "+msg("check.skipped", s))
	}
	for _, p := range r.Problems {
		lines = append(lines, "  ✗ "+p)
	}
	if len(r.Fixes) > 0 {
		lines = append(lines, msg("check.why.title", nil))
	}
	for _, f := range r.Fixes {
		lines = append(lines, "  • "+f)
	}
	for _, n := range r.Notes {
		lines = append(lines, "  ! "+n)
	}
	if r.Retried > 0 {
		lines = append(lines, msg("check.retried", r.Retried))
	}
	if r.Mesh != "" {
		lines = append(lines, msg("check.mesh", r.Mesh))
	}
	return strings.Join(append(lines, msg("check.result", r)), "\n")
}
