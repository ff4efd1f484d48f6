package steps

import (
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
	type row struct{ Name, Host, Role, OS, Docker string }
	var rows []row
	for _, n := range st.Nodes {
		role := string(n.Role)
		if n == st.First {
			role = "first manager"
		}
		if n.Member {
			role += " (in)"
		}
		rows = append(rows, row{n.Name(), n.Host, role, n.Facts.OS, n.Facts.DockerVersion})
	}
	return text("summary", struct {
		Rows                                 []row
		First, Advertise                     string
		Managers, Quorum, Tolerates, Workers int
	}{rows, st.First.Name(), st.Advertise, st.Managers, docker.Quorum(st.Managers), docker.Tolerates(st.Managers),
		len(st.Nodes) - st.Managers})
}

type quorumRow struct{ Managers, Quorum, Tolerates int }

// QuorumText is the Raft quorum table for 1 to max managers.
func QuorumText(max int) string {
	rows := make([]quorumRow, max)
	for i := range rows {
		n := i + 1
		rows[i] = quorumRow{n, docker.Quorum(n), docker.Tolerates(n)}
	}
	return text("quorum-table", rows)
}

// NewHostKeysText lists hosts not in knownHosts yet, with each key's type, fingerprint and
// the command that prints the same fingerprint on the machine.
func NewHostKeysText(unknown []*remote.UnknownHostError, knownHosts string) string {
	return text("new-host-keys", struct {
		Hosts      []*remote.UnknownHostError
		KnownHosts string
	}{unknown, knownHosts})
}

// NodeTableText is the node list in `docker node ls`'s columns.
func NodeTableText(rows []docker.Node) string { return text("node-table", rows) }

// PreflightText is the table of what the checks found.
func PreflightText(findings []preflight.Finding) string { return text("preflight", findings) }

// NextStepsText is what to try once the swarm is ready.
func NextStepsText(managers int) string {
	return text("next-steps", struct{ Managers int }{managers})
}

func text(name string, data any) string { return templates.MustRender(name+".tmpl", data) }
