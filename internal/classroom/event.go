// Package classroom is the instructor's live page of a workshop: learners' wizards send
// events (a step started, the problems and the fix shown, the node table, a check's result,
// the end) to `swarmwiz classroom serve`, which keeps the room and shows it on one page that
// updates itself. Events carry what the learner's screen showed and never a secret.
package classroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of event.
const (
	KindStart   = "start"   // a run began: Command
	KindStep    = "step"    // a step began: Step, Title
	KindProblem = "problem" // a problem shown, with its fix: Node, Text, Fix
	KindNodes   = "nodes"   // the node table shown: Nodes
	KindCheck   = "check"   // a check's result: Working, Total, Problems
	KindEnd     = "end"     // the run ended: OK, Error
	KindHelp    = "help"    // the learner asks the instructor for help: Text, what about
)

// Event is one thing a learner's wizard showed.
type Event struct {
	Learner  string    `json:"learner"`
	Kind     string    `json:"kind"`
	Time     time.Time `json:"time"`
	Command  string    `json:"command,omitempty"`
	Step     int       `json:"step,omitempty"`
	Title    string    `json:"title,omitempty"`
	Node     string    `json:"node,omitempty"`
	Text     string    `json:"text,omitempty"`
	Fix      string    `json:"fix,omitempty"`
	Nodes    []NodeRow `json:"nodes,omitempty"`
	Working  int       `json:"working,omitempty"`
	Total    int       `json:"total,omitempty"`
	Problems []string  `json:"problems,omitempty"`
	OK       bool      `json:"ok,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// secretRE is a swarm join token or unlock key: SWMTKN-1-… and SWMKEY-1-….
var secretRE = regexp.MustCompile(`(SWMTKN|SWMKEY)-1-[A-Za-z0-9+/=_-]+`)

// maskSecret hides every join token and unlock key in s.
func maskSecret(s string) string { return secretRE.ReplaceAllString(s, "$1-1-****") }

// MaskSecrets is e with every join token and unlock key in its text masked: the learner's
// client sends them masked whatever --show-tokens says, and the server masks them again on
// receipt, so neither the page, the state file nor the export can hold one.
func MaskSecrets(e Event) Event {
	for _, f := range []*string{&e.Learner, &e.Command, &e.Title, &e.Node, &e.Text, &e.Fix, &e.Error} {
		*f = maskSecret(*f)
	}
	e.Problems = slices.Clone(e.Problems)
	for i := range e.Problems {
		e.Problems[i] = maskSecret(e.Problems[i])
	}
	e.Nodes = slices.Clone(e.Nodes)
	for i := range e.Nodes {
		e.Nodes[i].Hostname = maskSecret(e.Nodes[i].Hostname)
	}
	return e
}

// NodeRow is one line of the node table, as `docker node ls` shows it.
type NodeRow struct {
	Hostname     string `json:"hostname"`
	Status       string `json:"status"`
	Availability string `json:"availability"`
	Manager      string `json:"manager,omitempty"` // Leader, Reachable, Unreachable; "" for a worker
}

// Limits on what the server accepts.
const (
	MaxEventBytes = 16 << 10 // one event, as sent
	maxText       = 2000     // one text field
	maxList       = 200      // rows, problems
	maxName       = 64       // a learner's name
)

// Decode reads one event: JSON of at most MaxEventBytes, a known kind, a learner's name,
// and fields within their limits. Anything else is an error saying what was wrong.
func Decode(r io.Reader) (Event, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxEventBytes+1))
	if err != nil {
		return Event{}, err
	}
	if len(b) > MaxEventBytes {
		return Event{}, ErrTooLarge
	}
	var e Event
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("not an event: %w", err)
	}
	if d.More() {
		return Event{}, errors.New("not an event: more than one JSON value")
	}
	return e, e.valid()
}

// ErrTooLarge is an event over MaxEventBytes.
var ErrTooLarge = errors.New("event too large")

func (e Event) valid() error {
	switch e.Kind {
	case KindStart, KindStep, KindProblem, KindNodes, KindCheck, KindEnd, KindHelp:
	default:
		return fmt.Errorf("unknown kind %q", e.Kind)
	}
	name := strings.TrimSpace(e.Learner)
	if name == "" || len(name) > maxName || name != e.Learner {
		return errors.New("learner: a name of 1 to 64 characters, no spaces around it")
	}
	texts := []string{e.Learner, e.Command, e.Title, e.Node, e.Text, e.Fix, e.Error}
	texts = append(texts, e.Problems...)
	for _, r := range e.Nodes {
		texts = append(texts, r.Hostname, r.Status, r.Availability, r.Manager)
	}
	for _, s := range texts {
		if len(s) > maxText || !utf8.ValidString(s) {
			return errors.New("a text field is too long or not UTF-8")
		}
	}
	if len(e.Nodes) > maxList || len(e.Problems) > maxList {
		return errors.New("too many rows")
	}
	if e.Step < 0 || e.Step > 1000 || e.Working < 0 || e.Total < 0 || e.Working > e.Total {
		return errors.New("numbers out of range")
	}
	return nil
}
