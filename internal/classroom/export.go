package classroom

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Export writes the room's outcome into dir: classroom.csv (a row a learner),
// classroom-steps.csv (each step's times across the room) and classroom.md (both, and the
// most common errors and problems), and returns the files' paths.
func Export(r *Room, dir string, now time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	learners := [][]string{{"learner", "state", "runs", "minutes", "last_command", "last_step", "nodes", "managers", "leader", "check_working", "check_total", "last_error"}}
	for _, l := range r.Sorted() {
		h := l.Health()
		cw, ct := "", ""
		if l.Check != nil {
			cw, ct = strconv.Itoa(l.Check.Working), strconv.Itoa(l.Check.Total)
		}
		end := now
		if l.Ended {
			end = l.EndedAt
		}
		learners = append(learners, []string{l.Name, string(l.State(now, 0)), strconv.Itoa(l.Runs),
			fmt.Sprintf("%.1f", end.Sub(l.First).Minutes()), l.Command, l.Title,
			strconv.Itoa(h.Nodes), strconv.Itoa(h.Managers), h.Leader, cw, ct, l.Error})
	}
	steps := [][]string{{"step", "times", "median_seconds", "longest_seconds", "total_seconds"}}
	stats := r.StepStats()
	for _, s := range stats {
		steps = append(steps, []string{s.Title, strconv.Itoa(s.Count), secs(s.Median), secs(s.Longest), secs(s.Total)})
	}
	files := []string{filepath.Join(dir, "classroom.csv"), filepath.Join(dir, "classroom-steps.csv"), filepath.Join(dir, "classroom.md")}
	for i, rows := range [][][]string{learners, steps} {
		var b strings.Builder
		w := csv.NewWriter(&b)
		w.WriteAll(inert(rows))
		if err := os.WriteFile(files[i], []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
	}
	md, err := Markdown(r, now)
	if err != nil {
		return nil, err
	}
	return files, os.WriteFile(files[2], []byte(md), 0o644)
}

func secs(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) }

// Markdown is the room's report, in the language in use.
func Markdown(r *Room, now time.Time) (string, error) {
	finished := 0
	var learners [][]string
	for _, l := range r.Sorted() {
		st := l.State(now, 0)
		if st == Finished {
			finished++
		}
		h := l.Health()
		learners = append(learners, []string{mdCell(l.Name), st.Text(),
			strconv.Itoa(l.Runs), strconv.Itoa(h.Nodes), strconv.Itoa(h.Managers), mdCell(l.Error)})
	}
	var steps [][]string
	for _, s := range r.StepStats() {
		steps = append(steps, []string{mdCell(s.Title), strconv.Itoa(s.Count), secs(s.Median), secs(s.Longest)})
	}
	hands := map[string]int{}
	for _, l := range r.Learners {
		if l.Asked > 0 {
			hands[mdCell(l.Name)] = l.Asked
		}
	}
	rejected := 0
	for _, n := range r.Rejected {
		rejected += n
	}
	return templates.Render("classroom-report.md.tmpl", map[string]any{
		"Finished": finished, "All": len(r.Learners), "Learners": learners, "Steps": steps,
		"Errors": Ranked(r.Errors), "Problems": Ranked(r.Problems), "Rejected": rejected, "Hands": Ranked(hands),
	})
}

// mdCell keeps a table cell on one line and its pipes literal.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

// inert is rows with every cell a spreadsheet would take for a formula (=, +, -, @, and a
// tab or CR before one) made text with a leading apostrophe, as OWASP advises for CSV: a
// learner's name or error is data, never something Excel runs.
func inert(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				c = "'" + c
			}
			out[i][j] = c
		}
	}
	return out
}
