package check

import (
	"strings"

	"github.com/swarmwiz/swarmwiz/steps/prelude"
)

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
	lines := []string{prelude.Text("check-matrix", map[string]any{"Header": append([]string{msg("check.matrix.corner", nil)}, r.Nodes...), "Rows": rows}), ""}
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
