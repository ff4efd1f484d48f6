package progress

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Many writers at once, as parallel node workers are: every line arrives whole.
func TestConsoleKeepsLinesWhole(t *testing.T) {
	var b bytes.Buffer
	c := NewConsole(&b, &b)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				fmt.Fprintf(c.Out(), "worker %d line %d %s\n", w, i, strings.Repeat("x", 40))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		var w, i int
		var rest string
		if n, _ := fmt.Sscanf(l, "worker %d line %d %s", &w, &i, &rest); n != 3 || rest != strings.Repeat("x", 40) {
			t.Fatalf("a line was cut by another: %q", l)
		}
	}
}

// Off a terminal a reporter prints one line per item and a closing line; quiet, only failures.
func TestReporterLines(t *testing.T) {
	var b bytes.Buffer
	r := Start(Options{Console: NewConsole(&b, &b)}, "joining", 2)
	r.Item("n1", nil, "in 0.1s")
	r.Item("n2", fmt.Errorf("refused"), "")
	r.Stop()
	got := b.String()
	for _, want := range []string{"  ✓ n1 in 0.1s\n", "  ✗ n2: refused\n", "✗ joining: 1 of 2 done in"} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	r = Start(Options{Console: NewConsole(&b, &b), Quiet: true}, "joining", 1)
	r.Item("n1", nil, "")
	r.Stop()
	if b.Len() != 0 {
		t.Errorf("quiet printed %q", b.String())
	}
}
