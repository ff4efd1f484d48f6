package templates

import (
	"strings"

	"github.com/mattn/go-runewidth"
)

// Table lays out rows under header as docker does: each column as wide as its widest cell,
// measured in terminal columns (a Hangul syllable is two, an accent none), three spaces
// between columns, no trailing space. A row with fewer cells than the header fills the last
// columns: a continuation line, like a finding's fix under its RESULT.
func Table(header []string, rows [][]string) string {
	all := append([][]string{header}, rows...)
	cols := len(header)
	width := make([]int, cols)
	for _, r := range all {
		for i, c := range aligned(r, cols) {
			// The last column is never padded, so its width does not matter.
			if i < cols-1 {
				width[i] = max(width[i], Width(c))
			}
		}
	}
	var b strings.Builder
	for n, r := range all {
		if n > 0 {
			b.WriteByte('\n')
		}
		var line strings.Builder
		for i, c := range aligned(r, cols) {
			line.WriteString(c)
			if i < cols-1 {
				line.WriteString(strings.Repeat(" ", width[i]-Width(c)+3))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
	}
	return b.String()
}

// aligned is r as cols cells, a short row moved to the last columns.
func aligned(r []string, cols int) []string {
	if len(r) >= cols {
		return r[:cols]
	}
	return append(make([]string, cols-len(r)), r...)
}

// Width is s's width on a terminal, in columns. Terminals draw East Asian "ambiguous" characters
// (the check matrix's ·, ✓) one column wide whatever the locale, while go-runewidth's default,
// read from LANG, counts them as two in a Korean locale: the widths are measured as terminals
// draw them, so a table lines up under LANG=ko_KR.UTF-8 too. Hangul is two columns either way.
func Width(s string) int { return terminalWidth.StringWidth(s) }

var terminalWidth = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}
