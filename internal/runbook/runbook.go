// Package runbook writes `--record FILE`: a Markdown account of a run, written as it goes,
// that reads like a guide: each step's title, on which node each docker command ran, the
// exact command, why, and what it printed, then the node table. A learner follows it by hand,
// line by line, on other machines. It never holds a secret: join tokens are masked whatever
// the run shows on screen, and passwords never reach it.
package runbook

import (
	"github.com/swarmwiz/swarmwiz/internal/private"

	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/docker"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Book is a runbook being written. A nil *Book records nothing, so callers need not check.
type Book struct {
	mu      sync.Mutex
	f       *os.File
	step    string // the title of the step under way
	number  int
	written int // the number of the step whose heading is written
	err     error
}

// Create starts the runbook at path (mode 0600, replacing what was there) for command.
func Create(path, command, version string, now time.Time) (*Book, error) {
	f, err := private.Create(path)
	if err != nil {
		return nil, err
	}
	b := &Book{f: f}
	b.write(templates.Msg("runbook.head", map[string]string{
		"Command": command, "Version": version, "Time": now.UTC().Format("2006-01-02 15:04 UTC")}) + "\n")
	return b, b.err
}

// write appends s in one write, so that the file ends between entries whatever stops the
// run: it is valid Markdown at every moment.
func (b *Book) write(s string) {
	if b.err == nil && b.f != nil {
		_, b.err = b.f.WriteString(docker.MaskToken(s))
	}
}

// Step notes that step number n, title, began; its heading is written with its first entry,
// so steps that ran no command (a question answered) leave no empty section.
func (b *Book) Step(n int, title string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.number, b.step = n, title
}

func (b *Book) heading() string {
	if b.written == b.number || b.number == 0 {
		return ""
	}
	b.written = b.number
	return fmt.Sprintf("\n## %d. %s\n", b.number, b.step)
}

// Command records cmd run on node: why (may be ""), what it printed, and its error if it
// failed.
func (b *Book) Command(node, cmd, why, out string, failed error) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	s.WriteString(b.heading())
	s.WriteString("\n" + templates.Msg("runbook.on", node) + "\n\n```sh\n" + strings.TrimSpace(cmd) + "\n```\n")
	if why != "" {
		s.WriteString("\n" + templates.Msg("runbook.why", why) + "\n")
	}
	if out = strings.TrimSpace(out); out != "" {
		s.WriteString("\n```text\n" + out + "\n```\n")
	}
	if failed != nil {
		s.WriteString("\n" + templates.Msg("runbook.failed", failed.Error()) + "\n")
	}
	b.write(s.String())
}

// Text records a block of output that is the step's result (the node table).
func (b *Book) Text(intro, text string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.write(b.heading() + "\n" + intro + "\n\n```text\n" + strings.TrimRight(text, "\n") + "\n```\n")
}

// Close ends the runbook: how the run ended (account is the "Done so far" line of a stop;
// "" when it finished).
func (b *Book) Close(account string) error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil {
		return b.err
	}
	if account == "" {
		b.write("\n" + templates.Msg("runbook.end", nil) + "\n")
	} else {
		b.write("\n## " + templates.Msg("runbook.stopped", b.number) + "\n\n" + account + "\n")
	}
	if err := b.f.Close(); b.err == nil {
		b.err = err
	}
	b.f = nil
	return b.err
}
