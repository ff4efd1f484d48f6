package create

import (
	"strconv"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/internal/preflight"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// SummaryText is the plan about to be built: every node with its role, then the counts.
func SummaryText(st *wizard.State) string {
	var rows [][]string
	for _, n := range st.Nodes {
		rows = append(rows, []string{n.Name(), n.Host, planRole(st, n), n.Facts.OS, n.Facts.DockerVersion})
	}
	return prelude.Text("summary", struct {
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
	return prelude.Text("quorum-table", rows)
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
	return prelude.Text("preflight", rows)
}

// NextStepsText is what to try once the swarm is ready; lab names the practice lab the nodes
// are, so the commands it suggests work as typed.
func NextStepsText(managers int, lab, image string) string {
	return prelude.Text("next-steps", struct {
		Managers int
		Lab      string
		Image    string
	}{managers, lab, image})
}
