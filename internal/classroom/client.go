package classroom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Client sends one learner's events to a classroom, in the background: the wizard never waits
// for the classroom, a classroom that cannot be reached or is slow costs the run at most
// FlushWait at its end, and the learner is told once. All methods are no-ops on a nil Client.
type Client struct {
	url, code, learner string
	keyFile            string // where this learner's key for this classroom is kept ("": nowhere)
	key                string
	mask               func(string) string
	notice             func(string)
	queue              chan Event
	done               chan struct{}
	http               *http.Client

	mu      sync.Mutex
	closed  bool
	told    bool // the one notice is out
	failed  bool // the classroom did not take an event: the rest are dropped
	pending int  // queued or being sent
	dropped int
}

// Timings of the background sender. Variables for tests.
var (
	// FlushWait is how long the end of a run waits for events still queued.
	FlushWait = 500 * time.Millisecond
	// PostTimeout bounds one event's delivery.
	PostTimeout = 2 * time.Second
)

// QueueSize is how many events may wait; more are dropped.
const QueueSize = 256

// NewClient starts sending to the classroom at url as learner. mask hides secrets in every
// text sent, as on screen (nil: none); notice prints the one line a learner gets when the
// classroom fails them.
//
// keyFile is where the key the classroom gave this learner's name is kept (KeyFile), read
// now and written when the classroom gives one: a later run on this machine is the same
// learner, another machine sending the name is refused.
func NewClient(url, code, learner, keyFile string, mask func(string) string, notice func(string)) *Client {
	if mask == nil {
		mask = func(s string) string { return s }
	}
	key := ""
	if keyFile != "" {
		if b, err := os.ReadFile(keyFile); err == nil {
			key = strings.TrimSpace(string(b))
		}
	}
	c := &Client{url: strings.TrimRight(url, "/"), code: code, learner: learner, keyFile: keyFile, key: key, mask: mask, notice: notice,
		queue: make(chan Event, QueueSize), done: make(chan struct{}),
		http: &http.Client{Timeout: PostTimeout}}
	go c.send()
	return c
}

func (c *Client) send() {
	defer close(c.done)
	for e := range c.queue {
		c.mu.Lock()
		failed := c.failed
		c.mu.Unlock()
		if !failed {
			if err := c.post(e); err != nil {
				c.mu.Lock()
				c.failed = true
				c.mu.Unlock()
				if errors.Is(err, errNameTaken) {
					c.tell(templates.Msg("classroom.notice.nametaken", map[string]string{"URL": c.url, "Name": c.learner}))
				} else {
					c.tell(templates.Msg("classroom.notice.unreached", map[string]string{"URL": c.url, "Why": shortWhy(err)}))
				}
			}
		}
		c.mu.Lock()
		c.pending--
		c.mu.Unlock()
	}
}

func (c *Client) post(e Event) error {
	b, _ := json.Marshal(e)
	// c.http's Timeout (PostTimeout) bounds the whole request, a server that never answers too.
	req, err := http.NewRequest(http.MethodPost, c.url+"/api/events", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(CodeHeader, c.code)
	if c.key != "" {
		req.Header.Set(LearnerKeyHeader, c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		if resp.Header.Get(RefusedHeader) == "name" {
			return errNameTaken
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if k := resp.Header.Get(LearnerKeyHeader); k != "" && k != c.key {
		c.key = k
		c.keepKey()
	}
	return nil
}

// errNameTaken: the classroom gave this name to another learner.
var errNameTaken = errors.New("name taken")

// keepKey writes the key to keyFile, 0600 in a 0700 folder: it is what makes this learner
// this learner. A key that cannot be kept costs only the next run's name.
func (c *Client) keepKey() {
	if c.keyFile == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.keyFile), 0o700); err != nil {
		return
	}
	tmp := c.keyFile + ".tmp"
	if os.WriteFile(tmp, []byte(c.key+"\n"), 0o600) == nil {
		os.Rename(tmp, c.keyFile)
	}
}

// KeyFile is where a learner's key for the classroom at url is kept: under the user's
// config folder, one file per classroom address and name.
func KeyFile(url, learner string) string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	safe := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 && (r == '-' || r == '.' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')) {
				return r
			}
			return '_'
		}, s)
	}
	host := strings.TrimPrefix(strings.TrimPrefix(strings.TrimRight(url, "/"), "http://"), "https://")
	sum := keyHash(url + "\x00" + learner)[:12] // names that map to the same safe text stay apart
	return filepath.Join(dir, "swarmwiz", "classroom", safe(host)+"-"+safe(learner)+"-"+sum+".key")
}

// pathRE is a file path in a sentence: from / or ~/ up to a space, quote or a colon.
var pathRE = regexp.MustCompile(`(?:~|\.{0,2})/[^\s'"` + "`" + `:;,()]+`)

// keyFileRE is what names a key or SSH's own files: under .ssh, id_*, *.pem, *.key, *_key.
var keyFileRE = regexp.MustCompile(`/\.ssh/|/id_[a-z0-9]+(\.pub)?$|\.pem$|\.key$|_key$`)

// scrubKeyPaths hides the paths of key files (an SSH error names the key it could not read):
// the classroom sees that a key was the trouble, not where a learner keeps theirs.
func scrubKeyPaths(s string) string {
	return pathRE.ReplaceAllStringFunc(s, func(p string) string {
		if keyFileRE.MatchString(p) {
			return templates.Msg("classroom.keypath", nil)
		}
		return p
	})
}

// shortWhy is an error without Go's request wording: "connection refused", "403 Forbidden".
func shortWhy(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

func (c *Client) tell(line string) {
	c.mu.Lock()
	told := c.told
	c.told = true
	c.mu.Unlock()
	if !told && c.notice != nil {
		c.notice(line)
	}
}

// put queues e, or drops it when the queue is full. Secrets are masked here, whatever the
// wizard shows on its own screen (--show-tokens): the room is not the learner's terminal.
func (c *Client) put(e Event) {
	if c == nil {
		return
	}
	e = MaskSecrets(e)
	e.Learner, e.Time = c.learner, time.Now()
	for _, s := range []*string{&e.Title, &e.Node, &e.Text, &e.Fix, &e.Error} {
		*s = scrubKeyPaths(c.mask(*s))
	}
	for i := range e.Problems {
		e.Problems[i] = scrubKeyPaths(c.mask(e.Problems[i]))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.queue <- e:
		c.pending++
	default:
		c.dropped++
	}
}

// Start says a run of command began.
func (c *Client) Start(command string) { c.put(Event{Kind: KindStart, Command: command}) }

// Step says step n, title, began.
func (c *Client) Step(n int, title string) { c.put(Event{Kind: KindStep, Step: n, Title: title}) }

// Problem says a problem was shown on node, with its fix.
func (c *Client) Problem(node, text, fix string) {
	c.put(Event{Kind: KindProblem, Node: node, Text: text, Fix: fix})
}

// Help asks the instructor for help, about text ("": about where the learner is).
func (c *Client) Help(text string) { c.put(Event{Kind: KindHelp, Text: text}) }

// Delivered says, after Close, whether every event reached the classroom.
func (c *Client) Delivered() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.failed && c.pending == 0 && c.dropped == 0
}

// Nodes sends the node table shown.
func (c *Client) Nodes(rows []NodeRow) { c.put(Event{Kind: KindNodes, Nodes: rows}) }

// Check sends a check's result.
func (c *Client) Check(working, total int, problems []string) {
	c.put(Event{Kind: KindCheck, Working: working, Total: total, Problems: problems})
}

// End says the run ended: well, or with the error shown.
func (c *Client) End(err error) {
	e := Event{Kind: KindEnd, OK: err == nil}
	if err != nil {
		e.Error = oneLine(err.Error())
	}
	c.put(e)
}

// oneLine is an error of several lines (errors.Join) as one, its lines kept apart by "; ":
// the page shows it on one line, where a bare line break would run two sentences together.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// Close waits, at most FlushWait, for queued events to go, and says once what was dropped.
func (c *Client) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.queue)
	c.mu.Unlock()
	select {
	case <-c.done:
	case <-time.After(FlushWait):
	}
	c.mu.Lock()
	lost := c.pending + c.dropped
	failed := c.failed
	c.mu.Unlock()
	if lost > 0 && !failed {
		c.tell(templates.Msg("classroom.notice.late", map[string]any{"URL": c.url, "N": lost}))
	}
}
