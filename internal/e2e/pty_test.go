//go:build linux

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	expect "github.com/Netflix/go-expect"
	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
)

// Keys as a terminal sends them.
const (
	keyEnter = "\r"
	keyDown  = "\x1b[B"
	keySpace = " "
	keyCtrlC = "\x03"
)

// session is swarmwiz running in a real pseudo-terminal: keys go in, and what the user
// would see comes out, through a vt10x emulator that also answers survey's cursor queries.
type session struct {
	t    *testing.T
	c    *expect.Console
	raw  *lockedBuffer
	cmd  *exec.Cmd
	done chan struct{}
	code int
}

// lockedBuffer is a bytes.Buffer a running command writes to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startPTY runs swarmwiz with args on a new pseudo-terminal; env adds to the environment.
func startPTY(t *testing.T, env []string, args ...string) *session {
	t.Helper()
	needLab(t)
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	term := vt10x.New(vt10x.WithWriter(pts), vt10x.WithSize(200, 60))
	raw := &lockedBuffer{}
	c, err := expect.NewConsole(expect.WithStdin(ptm), expect.WithStdout(term, raw),
		expect.WithCloser(ptm, pts), expect.WithDefaultTimeout(testTimeout()))
	if err != nil {
		t.Fatal(err)
	}
	_ = pty.Setsize(c.Tty(), &pty.Winsize{Cols: 200, Rows: 60})
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Tty(), c.Tty(), c.Tty()
	cmd.Env = append(append(englishEnv(), "TERM=xterm-256color"), env...)
	// The pty is swarmwiz's controlling terminal, as a real one is: a Ctrl-C typed while the
	// terminal is not in raw mode then arrives as SIGINT, exactly as for a user.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, c: c, raw: raw, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
		// Closing our end of the terminal lets ExpectEOF return once all output is read.
		c.Tty().Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		c.Close()
	})
	return s
}

// expect waits until the screen stream shows s.
func (s *session) expect(str string) {
	s.t.Helper()
	if _, err := s.c.ExpectString(str); err != nil {
		s.t.Fatalf("waiting for %q: %v\nscreen so far:\n%s", str, err, s.text())
	}
}

// expectAny waits for the first of strs and returns it.
func (s *session) expectAny(strs ...string) string {
	s.t.Helper()
	out, err := s.c.Expect(expect.String(strs...))
	if err != nil {
		s.t.Fatalf("waiting for one of %q: %v\nscreen so far:\n%s", strs, err, s.text())
	}
	for _, str := range strs {
		if strings.HasSuffix(out, str) {
			return str
		}
	}
	return strs[0]
}

func (s *session) send(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		if _, err := s.c.Send(k); err != nil {
			s.t.Fatal(err)
		}
		// survey reads keys one by one; a short pause keeps escape sequences whole.
		time.Sleep(20 * time.Millisecond)
	}
}

// wait reads the terminal until swarmwiz exits and returns its exit code.
func (s *session) wait() int {
	s.t.Helper()
	if _, err := s.c.ExpectEOF(); err != nil {
		s.t.Fatalf("waiting for exit: %v\n%s", err, s.text())
	}
	<-s.done
	return s.code
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[78]|\r`)

// text is everything printed so far, as plain text (colours and cursor moves removed).
func (s *session) text() string { return ansiRE.ReplaceAllString(s.raw.String(), "") }

// testTimeout is how long one expectation may wait; SWARMWIZ_EXPECT_TIMEOUT shortens it
// while debugging a test.
func testTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("SWARMWIZ_EXPECT_TIMEOUT")); err == nil {
		return d
	}
	return 90 * time.Second
}
