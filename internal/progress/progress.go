// Package progress shows work under way: a spinner on a terminal, one plain line per event
// elsewhere (CI logs, pipes), so logs stay readable and terminals stay calm. Console is the
// one writer of a run's output: every line goes through it.
package progress

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/briandowns/spinner"
)

// Console is the one writer that owns the terminal. Steps and their parallel workers write
// whole lines through it; a line is never cut by another, and the spinner's line is cleared
// before any line is printed and redrawn after, so a result never shares a line with it.
type Console struct {
	mu       sync.Mutex
	out, err io.Writer
	spin     *spinner.Spinner // the one spinner drawing now, if any
}

// NewConsole owns out (results) and err (the account of a stop, errors).
func NewConsole(out, err io.Writer) *Console { return &Console{out: out, err: err} }

// Out is the writer for ordinary output.
func (c *Console) Out() io.Writer { return consoleWriter{c, c.out} }

// Err is the writer for errors.
func (c *Console) Err() io.Writer { return consoleWriter{c, c.err} }

type consoleWriter struct {
	c *Console
	w io.Writer
}

func (cw consoleWriter) Write(p []byte) (int, error) {
	c := cw.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spin != nil {
		// Hold the spinner still and clear its line; it redraws on its next frame.
		c.spin.Lock()
		defer c.spin.Unlock()
		fmt.Fprint(c.spin.Writer, "\r\033[K")
	}
	return cw.w.Write(p)
}

// startSpinner starts a spinner with suffix unless one is drawing already (then nil).
func (c *Console) startSpinner(suffix string) *spinner.Spinner {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spin != nil {
		return nil
	}
	// The spinner writes to stderr and checks that it is a terminal itself.
	s := spinner.New(spinner.CharSets[14], 100*time.Millisecond, spinner.WithWriterFile(os.Stderr))
	s.Suffix = suffix
	s.Start()
	c.spin = s
	return s
}

// stopSpinner stops s, which clears its line.
func (c *Console) stopSpinner(s *spinner.Spinner) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Stop()
	if c.spin == s {
		c.spin = nil
	}
}

// Reporter follows one batch of items (nodes) through one activity.
type Reporter struct {
	mu       sync.Mutex
	con      *Console
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
	Console     *Console
	Interactive bool // a spinner; otherwise a line per event
	Quiet       bool // only failures
}

// Start begins an activity over total items.
func Start(o Options, title string, total int) *Reporter {
	if o.Console == nil {
		o.Console = NewConsole(io.Discard, io.Discard)
	}
	r := &Reporter{con: o.Console, title: title, total: total, quiet: o.Quiet, started: time.Now()}
	if o.Interactive && !o.Quiet {
		r.spin = r.con.startSpinner(r.suffix())
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
	switch {
	case err != nil:
		// A failure is worth a line of its own, even on a terminal; an error that names the
		// node already is not prefixed with it again.
		fmt.Fprintf(r.con.Out(), "  ✗ %s: %s\n", name, strings.TrimPrefix(err.Error(), name+": "))
	case r.spin == nil && !r.quiet:
		if note != "" {
			note = " " + note
		}
		fmt.Fprintf(r.con.Out(), "  ✓ %s%s\n", name, note)
	}
	if r.spin != nil {
		r.spin.Lock()
		r.spin.Suffix = r.suffix()
		r.spin.Unlock()
	}
}

// Done ends a one-item activity that succeeded with line, said once, in place of an item's
// line and the closing count ("1 of 1 done").
func (r *Reporter) Done(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spin != nil {
		r.con.stopSpinner(r.spin)
	}
	if !r.quiet {
		fmt.Fprintln(r.con.Out(), "  ✓ "+line)
	}
}

// Stop ends the activity with a closing line.
func (r *Reporter) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spin != nil {
		r.con.stopSpinner(r.spin)
	}
	if r.quiet && r.failed == 0 || r.total == 0 {
		return
	}
	mark := "✓"
	if r.failed > 0 {
		mark = "✗"
	}
	fmt.Fprintln(r.con.Out(), templates.Msg("progress.done", map[string]any{"Mark": mark, "Title": r.title, "Done": r.finished - r.failed,
		"Total": r.total, "Seconds": fmt.Sprintf("%.1f", time.Since(r.started).Seconds())}))
}
