// Package wizard is the engine of swarmwiz: the steps' contract, the flow that runs them,
// the environment they run in (streams, prompter, progress, dialling) and exit codes.
// It knows no particular step.
package wizard

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/AlecAivazis/survey/v2/core"
	"github.com/mattn/go-isatty"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/runbook"
)

// Env is everything a step may touch outside its State: injected so tests can replace it.
type Env struct {
	In          io.Reader
	Out, Err    io.Writer
	Interactive bool // stdin and stdout are both terminals: prompting is allowed
	Prompter    Prompter
	Explain     bool // print each docker command with why, before it runs
	DryRun      bool
	ShowTokens  bool
	Quiet       bool
	Verbose     bool
	Color       bool
	Dial        Dialer
	Parallel    int // how many nodes are worked on at once (--parallel); 0: changes 10, reads 64
	// LockWait is how long a run waits for another run that holds a node (--lock-wait).
	LockWait time.Duration
	// Command is the command being run, as another run is told who holds a node.
	Command string
	JSON    io.Writer // --output json: the result goes here, as JSON; nil for tables
	Timings io.Writer // step timings for the benchmark (SWARMWIZ_TIMINGS=1); nil: none
	// NoChecks is make bench's fastest order (SWARMWIZ_BENCH_NOCHECKS=1, on no help page):
	// no facts script and no preflight, only docker's own /info, so that the bench can say
	// what the checks cost. Never for a real swarm.
	NoChecks   bool
	Version    string        // of swarmwiz: the probe image's tag
	Self       string        // the running swarmwiz executable: the probe image is made of it
	RecordFile string        // --record FILE
	Record     *runbook.Book // the runbook being written to RecordFile; nil: none
	// The classroom this run reports to (--classroom, --classroom-code, --name), and its
	// sender; Class is nil when there is none.
	ClassroomURL, ClassroomCode, Learner string
	Class                                *classroom.Client

	con *progress.Console // the one writer of Out and Err; made at the first line
}

var conMu sync.Mutex

// console is the run's one writer: steps and their parallel workers print through it, so
// lines never interleave and the spinner never shares a line with a result.
func (e *Env) console() *progress.Console {
	conMu.Lock()
	defer conMu.Unlock()
	if e.con == nil {
		e.con = progress.NewConsole(e.Out, e.Err)
	}
	return e.con
}

// Printf prints to the output, through the run's one writer.
func (e *Env) Printf(format string, a ...any) { fmt.Fprintf(e.console().Out(), format, a...) }

// Println prints a line to the output, through the run's one writer.
func (e *Env) Println(a ...any) { fmt.Fprintln(e.console().Out(), a...) }

// Errorln prints a line to the error output, through the run's one writer.
func (e *Env) Errorln(a ...any) { fmt.Fprintln(e.console().Err(), a...) }

// NewEnv builds the Env of a real run from the process's streams and environment; ctx ends
// with Ctrl-C.
func NewEnv(ctx context.Context) *Env {
	interactive := isTerminal(os.Stdin) && isTerminal(os.Stdout)
	e := &Env{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		Interactive: interactive,
		Color:       interactive && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb",
	}
	// survey colours its prompts unless told not to: NO_COLOR and TERM=dumb mean plain text.
	core.DisableColor = !e.Color
	e.Prompter = NewSurveyPrompter(ctx, os.Stdin, os.Stdout, os.Stderr)
	e.Dial = DialSSH
	if os.Getenv("SWARMWIZ_TIMINGS") == "1" {
		e.Timings = os.Stderr
	}
	e.NoChecks = os.Getenv("SWARMWIZ_BENCH_NOCHECKS") == "1"
	return e
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Progress says how progress should look in this Env.
func (e *Env) Progress() progress.Options {
	// Spinners only on a real terminal and never when TERM=dumb: a dumb terminal shows every
	// frame as a new line.
	return progress.Options{Console: e.console(), Interactive: e.Interactive && os.Getenv("TERM") != "dumb", Quiet: e.Quiet}
}
