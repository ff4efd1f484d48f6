package lab

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNeighNeed(t *testing.T) {
	for _, c := range []struct {
		nodes int
		want  [3]int
	}{
		{7, [3]int{128, 512, 1024}},      // the kernel's defaults are enough
		{30, [3]int{900, 3600, 7200}},    // where "neighbor table overflow" began
		{60, [3]int{3600, 14400, 28800}}, // the largest lab
	} {
		if got := NeighNeed(c.nodes); got != c.want {
			t.Errorf("NeighNeed(%d) = %v, want %v", c.nodes, got, c.want)
		}
	}
}

// fakeNeigh points the sysctls and the lab state at temporary folders.
func fakeNeigh(t *testing.T, v [3]int) {
	t.Helper()
	oldDir, oldRoot := neighDir, StateRoot
	neighDir, StateRoot = t.TempDir(), t.TempDir()
	t.Cleanup(func() { neighDir, StateRoot = oldDir, oldRoot })
	if err := writeNeigh(v); err != nil {
		t.Fatal(err)
	}
}

func TestNeighRaisedWhileLabsNeedItAndPutBackAfter(t *testing.T) {
	own := [3]int{128, 512, 1024}
	fakeNeigh(t, own)
	if err := raiseNeigh(7); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != own {
		t.Fatalf("7 nodes changed the limits to %v", got)
	}
	if _, err := os.Stat(neighSaved()); !os.IsNotExist(err) {
		t.Fatalf("nothing raised, yet the machine's values were saved: %v", err)
	}
	// Two labs: 30 nodes, then 30 more; the machine's own values are saved once.
	if err := raiseNeigh(30); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != NeighNeed(30) {
		t.Fatalf("30 nodes: limits %v, want %v", got, NeighNeed(30))
	}
	if err := raiseNeigh(60); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != NeighNeed(60) {
		t.Fatalf("60 nodes: limits %v, want %v", got, NeighNeed(60))
	}
	// A lab is still there: nothing is put back yet.
	os.MkdirAll(filepath.Join(StateRoot, "lab"), 0o700)
	if err := restoreNeigh(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != NeighNeed(60) {
		t.Fatalf("restored while a lab is left: %v", got)
	}
	os.RemoveAll(filepath.Join(StateRoot, "lab"))
	if err := restoreNeigh(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != own {
		t.Fatalf("after the last lab: limits %v, want this machine's %v", got, own)
	}
	if _, err := os.Stat(neighSaved()); !os.IsNotExist(err) {
		t.Fatalf("saved values left behind: %v", err)
	}
}

func TestNeighNeverLowered(t *testing.T) {
	high := [3]int{8000, 16000, 32000}
	fakeNeigh(t, high)
	if err := raiseNeigh(60); err != nil {
		t.Fatal(err)
	}
	if got, _ := readNeigh(); got != high {
		t.Fatalf("a machine set higher than labs need was changed: %v", got)
	}
}
