// Package failure sorts errors into what the user did (bad input: exit 2), what failed on a
// node (exit 1) and an interruption (Ctrl-C: exit 130), so every command exits the same way.
// It lives under internal/ because the lab and the wizard both need it and neither may import
// the other.
package failure

import (
	"github.com/swarmwiz/swarmwiz/templates"

	"context"
	"errors"
	"fmt"
)

// Exit codes, as documented in the README.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitDegraded    = 3 // status: a manager or node is down, the quorum holds
	ExitQuorumLost  = 4 // status: too few managers answer: the swarm cannot change
	ExitBusy        = 5 // another swarmwiz run holds a node and did not let go within --lock-wait
	ExitInterrupted = 130
)

// StatusError is what `status` found wrong with the swarm, and the exit code that says it to
// a script. Its message is the one line printed last.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string { return e.Msg }

// BusyError is a node another swarmwiz run holds: nothing was changed; run again later, or
// with a longer --lock-wait.
type BusyError struct{ Msg string }

func (e *BusyError) Error() string { return e.Msg }

// ShownError is an error already shown to the user: the exit code is Err's, and it is not
// printed again.
type ShownError struct{ Err error }

func (e *ShownError) Error() string { return e.Err.Error() }
func (e *ShownError) Unwrap() error { return e.Err }

// UsageError is bad input: a flag, an answer or a plan value. Its message is one line that
// says what would be accepted.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ErrInterrupted is Ctrl-C, from a prompt or from a signal.
var ErrInterrupted = templates.Sentence("interrupted")

// NodeError is a failure on one node: the node and the command are named so the user can
// repeat it by hand.
type NodeError struct {
	Node string
	Cmd  string
	Err  error
}

func (e *NodeError) Error() string {
	if e.Cmd == "" {
		return fmt.Sprintf("%s: %v", e.Node, e.Err)
	}
	return fmt.Sprintf("%s: `%s` failed: %v", e.Node, e.Cmd, e.Err)
}

func (e *NodeError) Unwrap() error { return e.Err }

// Code is the exit code for err.
func Code(err error) int {
	var u *UsageError
	var se *StatusError
	var busy *BusyError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.Code
	case errors.As(err, &busy):
		return ExitBusy
	case errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &u):
		return ExitUsage
	default:
		return ExitFailed
	}
}
