package quorum

import (
	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/steps/prelude"
)

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
	return prelude.Text("node-table", rows)
}
