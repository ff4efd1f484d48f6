package classroom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Room is what the instructor's page shows: every learner as their events left them, and
// what was refused.
type Room struct {
	Learners map[string]*Learner `json:"learners"`
	// Rejected counts refused events by why: code, size, malformed, rate.
	Rejected map[string]int `json:"rejected"`
	// Errors counts the errors runs ended with, by their text; Problems the problems shown.
	Errors   map[string]int `json:"errors"`
	Problems map[string]int `json:"problems"`
	// Keys is the hash of each learner name's key (see keys.go): kept, never shown.
	Keys map[string]string `json:"keys,omitempty"`
}

// Learner is one learner's wizard, as the room knows it.
type Learner struct {
	Name     string     `json:"name"`
	Command  string     `json:"command"`
	Runs     int        `json:"runs"`
	First    time.Time  `json:"first"`   // the first event of the first run
	Started  time.Time  `json:"started"` // this run's start
	Step     int        `json:"step"`
	Title    string     `json:"title"`
	Since    time.Time  `json:"since"`  // when this step began
	InStep   bool       `json:"inStep"` // the step has not finished
	Steps    []StepTime `json:"steps"`  // every finished step of every run
	Problems []Problem  `json:"problems"`
	Error    string     `json:"error"`
	Ended    bool       `json:"ended"`
	OK       bool       `json:"ok"`
	EndedAt  time.Time  `json:"endedAt"`
	Finished bool       `json:"finished"` // a create run ended well: the swarm is built
	Nodes    []NodeRow  `json:"nodes"`
	Check    *Check     `json:"check,omitempty"`
	Hand     *Hand      `json:"hand,omitempty"` // asking for help now
	Asked    int        `json:"asked"`          // how many times they asked, for the report
}

// Hand is a learner asking the instructor for help: since when, and what about.
type Hand struct {
	Since time.Time `json:"since"`
	Text  string    `json:"text,omitempty"`
}

// StepTime is how long one step took.
type StepTime struct {
	Title   string  `json:"title"`
	Seconds float64 `json:"seconds"`
}

// Problem is a problem a learner was shown, with its fix.
type Problem struct {
	Node string `json:"node"`
	Text string `json:"text"`
	Fix  string `json:"fix"`
}

// Check is a check's result.
type Check struct {
	Working  int      `json:"working"`
	Total    int      `json:"total"`
	Problems []string `json:"problems"`
}

const (
	maxProblems = 50
	// MaxSteps is how many finished steps a learner's history keeps (the newest): enough for
	// the export's medians, bounded whatever a client sends.
	MaxSteps = 50
	// maxTally is how many distinct errors and problems the room counts by text; the rest
	// are counted together under tallyOther.
	maxTally   = 100
	tallyOther = "…"
)

// tally counts key in m, within maxTally keys.
func tally(m map[string]int, key string) {
	if _, ok := m[key]; !ok && len(m) >= maxTally {
		key = tallyOther
	}
	m[key]++
}

// NewRoom is an empty room.
func NewRoom() *Room {
	return &Room{Learners: map[string]*Learner{}, Rejected: map[string]int{}, Errors: map[string]int{}, Problems: map[string]int{},
		Keys: map[string]string{}}
}

// Apply puts a valid event, received at now, into the room.
func (r *Room) Apply(e Event, now time.Time) {
	l := r.Learners[e.Learner]
	if l == nil {
		l = &Learner{Name: e.Learner, First: now}
		r.Learners[e.Learner] = l
	}
	switch e.Kind {
	case KindStart:
		l.closeStep(now)
		l.Runs++
		l.Command, l.Started, l.Since = e.Command, now, now
		l.Step, l.Title = 0, ""
		if l.Runs == 1 {
			l.First = now
		}
		l.Problems, l.Error, l.Ended, l.OK = nil, "", false, false
		l.Hand = nil // a new run: the question was about the last one
	case KindHelp:
		if l.Hand == nil {
			l.Hand = &Hand{Since: now}
			l.Asked++
		}
		l.Hand.Text = e.Text
	case KindStep:
		l.closeStep(now)
		l.Step, l.Title, l.Since, l.InStep = e.Step, e.Title, now, true
		l.Ended = false
	case KindProblem:
		if len(l.Problems) < maxProblems {
			l.Problems = append(l.Problems, Problem{e.Node, e.Text, e.Fix})
			tally(r.Problems, e.Text)
		}
	case KindNodes:
		l.Nodes = e.Nodes
	case KindCheck:
		l.Check = &Check{e.Working, e.Total, e.Problems}
	case KindEnd:
		l.closeStep(now)
		l.Ended, l.OK, l.Error, l.EndedAt = true, e.OK, e.Error, now
		if e.Error != "" {
			tally(r.Errors, e.Error)
		}
		if e.OK && l.Command == "create" {
			l.Finished = true
		}
	}
}

// Handled puts name's hand down: the instructor has come.
func (r *Room) Handled(name string) {
	if l := r.Learners[name]; l != nil {
		l.Hand = nil
	}
}

func (l *Learner) closeStep(now time.Time) {
	if l.InStep {
		l.Steps = append(l.Steps, StepTime{l.Title, now.Sub(l.Since).Seconds()})
		if len(l.Steps) > MaxSteps {
			l.Steps = slices.Delete(l.Steps, 0, len(l.Steps)-MaxSteps)
		}
	}
	l.InStep = false
}

// State is how a learner stands: finished, stuck, or working.
type State string

const (
	Finished State = "finished"
	Stuck    State = "stuck"
	Working  State = "working"
)

// Text is the state as the page and the report say it, in the language in use.
func (s State) Text() string {
	switch s {
	case Finished:
		return templates.Msg("classroom.state.finished", nil)
	case Stuck:
		return templates.Msg("classroom.state.stuck", nil)
	}
	return templates.Msg("classroom.state.working", nil)
}

// State says how l stands at now: stuck on an error its last run ended with, or on the same
// step for longer than after; finished once a create run ended well.
func (l *Learner) State(now time.Time, after time.Duration) State {
	switch {
	case l.Ended && !l.OK:
		return Stuck
	case l.Finished && l.Ended:
		return Finished
	case !l.Ended && after > 0 && now.Sub(l.Since) > after:
		return Stuck
	}
	return Working
}

// Health is the cluster as a learner's last node table shows it.
type Health struct {
	Nodes, Managers, Reachable int
	Leader                     string
	Quorum                     bool // more than half the managers reachable
}

// Health reads l's node table.
func (l *Learner) Health() Health {
	h := Health{Nodes: len(l.Nodes)}
	for _, n := range l.Nodes {
		if n.Manager == "" {
			continue
		}
		h.Managers++
		if n.Manager == "Leader" || n.Manager == "Reachable" {
			h.Reachable++
		}
		if n.Manager == "Leader" {
			h.Leader = n.Hostname
		}
	}
	h.Quorum = h.Managers > 0 && h.Reachable*2 > h.Managers
	return h
}

// Sorted is the learners by name.
func (r *Room) Sorted() []*Learner {
	out := make([]*Learner, 0, len(r.Learners))
	for _, l := range r.Learners {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Save writes the room to path (0600), whole or not at all.
func (r *Room) Save(path string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeRoom(path, b)
}

// writeRoom writes a room's JSON to path whole: a new 0600 file renamed over the old.
func writeRoom(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".classroom-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Load reads a room saved by Save; a file that does not exist is an empty room.
func Load(path string) (*Room, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return NewRoom(), nil
	}
	if err != nil {
		return nil, err
	}
	r := NewRoom()
	if err := json.Unmarshal(b, r); err != nil {
		return nil, err
	}
	for _, m := range []*map[string]int{&r.Rejected, &r.Errors, &r.Problems} {
		if *m == nil {
			*m = map[string]int{}
		}
	}
	if r.Learners == nil {
		r.Learners = map[string]*Learner{}
	}
	if r.Keys == nil {
		r.Keys = map[string]string{}
	}
	return r, nil
}

// StepStat is one step's times across the room.
type StepStat struct {
	Title                  string
	Count                  int
	Median, Longest, Total float64
}

// StepStats are the room's steps in the order first seen, with their times.
func (r *Room) StepStats() []StepStat {
	var order []string
	times := map[string][]float64{}
	for _, l := range r.Sorted() {
		for _, s := range l.Steps {
			if _, ok := times[s.Title]; !ok {
				order = append(order, s.Title)
			}
			times[s.Title] = append(times[s.Title], s.Seconds)
		}
	}
	out := make([]StepStat, len(order))
	for i, t := range order {
		v := slices.Clone(times[t])
		slices.Sort(v)
		st := StepStat{Title: t, Count: len(v), Median: v[len(v)/2], Longest: v[len(v)-1]}
		if len(v)%2 == 0 {
			st.Median = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		for _, s := range v {
			st.Total += s
		}
		out[i] = st
	}
	return out
}

// Count is a text and how often it was seen.
type Count struct {
	Text string
	N    int
}

// Ranked is m's texts, most frequent first.
func Ranked(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for t, n := range m {
		out = append(out, Count{t, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Text < out[j].Text
	})
	return out
}

// Fetch reads the room of a running classroom page at addr: the address serve printed for
// the instructor, whose key it sends (or a public room's address).
func Fetch(ctx context.Context, addr string) (*Room, error) {
	base, key := addr, ""
	if u, err := url.Parse(addr); err == nil && u.Query().Has("key") {
		key = u.Query().Get("key")
		u.RawQuery = ""
		base = u.String()
	}
	target := strings.TrimRight(base, "/") + "/api/room"
	if key != "" {
		target += "?key=" + url.QueryEscape(key)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", base, resp.Status)
	}
	r := NewRoom()
	return r, json.NewDecoder(resp.Body).Decode(r)
}
