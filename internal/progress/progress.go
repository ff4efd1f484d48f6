// Package progress shows work under way: a spinner on a terminal, one plain line per event
// elsewhere (CI logs, pipes), so logs stay readable and terminals stay calm.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/briandowns/spinner"
)

// Reporter follows one batch of items (nodes) through one activity.
type Reporter struct {
	mu       sync.Mutex
	out      io.Writer
	title    string
	total    int
	finished int
	failed   int
	spin     *spinner.Spinner
	quiet    bool
	started  time.Time
}

// Options choose how progress looks.
type Options struct {
	Out         io.Writer
	Interactive bool // a spinner; otherwise a line per event
	Quiet       bool // only failures
}

// Start begins an activity over total items.
func Start(o Options, title string, total int) *Reporter {
	r := &Reporter{out: o.Out, title: title, total: total, quiet: o.Quiet, started: time.Now()}
	if o.Interactive && !o.Quiet {
		// The spinner writes to stderr and checks that it is a terminal itself.
		r.spin = spinner.New(spinner.CharSets[14], 100*time.Millisecond, spinner.WithWriterFile(os.Stderr))
		r.spin.Suffix = r.suffix()
		r.spin.Start()
	}
	return r
}

func (r *Reporter) suffix() string {
	if r.total <= 1 {
		return " " + r.title
	}
	return fmt.Sprintf(" %s (%d/%d)", r.title, r.finished, r.total)
}

// Item reports one item done (err nil) or failed, with a short note.
func (r *Reporter) Item(name string, err error, note string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished++
	if err != nil {
		r.failed++
	}
	if r.spin != nil {
		if err != nil {
			// A failure is worth a line of its own even on a terminal; the spinner must
			// stop while it is printed or the two garble each other.
			r.spin.Stop()
			fmt.Fprintf(r.out, "  ✗ %s: %v\n", name, err)
			r.spin.Start()
		}
		r.spin.Suffix = r.suffix()
		return
	}
	switch {
	case err != nil:
		fmt.Fprintf(r.out, "  ✗ %s: %v\n", name, err)
	case !r.quiet:
		if note != "" {
			note = " " + note
		}
		fmt.Fprintf(r.out, "  ✓ %s%s\n", name, note)
	}
}

// Stop ends the activity with a closing line.
func (r *Reporter) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spin != nil {
		r.spin.Stop()
	}
	if r.quiet && r.failed == 0 {
		return
	}
	mark := "✓"
	if r.failed > 0 {
		mark = "✗"
	}
	fmt.Fprintf(r.out, "%s %s: %d of %d done in %.1fs\n", mark, r.title, r.finished-r.failed, r.total, time.Since(r.started).Seconds())
}
