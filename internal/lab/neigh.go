package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// All the lab's nodes share this machine's one kernel, and the kernel keeps one neighbour
// (ARP) table for every network namespace together, limited by gc_thresh3 (1024 by default).
// A swarm fills it with about four entries per pair of nodes: the nodes' own addresses, and
// in every overlay network (ingress, a check's network) each peer's static entry, and the
// containers' own. At 30 nodes that is some 3,500: the kernel says "neighbor table overflow"
// and drops packets, and overlay traffic fails between pairs picked at random, which no real
// machine (a kernel of its own, 30 entries) would see. So the lab raises the limits while
// labs need it, and puts this machine's values back when the last lab is gone.

// neighDir is where the limits are (a variable for the tests).
var neighDir = "/proc/sys/net/ipv4/neigh/default"

// neighSaved keeps this machine's own values while a lab has raised them.
func neighSaved() string { return filepath.Join(StateRoot, "neigh-limits") }

var neighKeys = []string{"gc_thresh1", "gc_thresh2", "gc_thresh3"}

// NeighNeed is the gc_thresh1..3 that labs of nodes nodes in all need: 8 per pair of nodes
// for the hard limit (twice the estimate above), in the kernel's default proportions below
// it, and never below the kernel's defaults.
func NeighNeed(nodes int) [3]int {
	hard := max(8*nodes*nodes, 1024)
	return [3]int{max(hard/8, 128), max(hard/2, 512), hard}
}

func readNeigh() ([3]int, error) {
	var v [3]int
	for i, k := range neighKeys {
		b, err := os.ReadFile(filepath.Join(neighDir, k))
		if err != nil {
			return v, err
		}
		if v[i], err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return v, fmt.Errorf("%s: %w", k, err)
		}
	}
	return v, nil
}

func writeNeigh(v [3]int) error {
	// Written largest first when raising and smallest first when lowering, the kernel never
	// sees thresh1 > thresh2 > thresh3 broken on the way; it does not check, but keep it sane.
	order := []int{2, 1, 0}
	if cur, err := readNeigh(); err == nil && v[2] < cur[2] {
		order = []int{0, 1, 2}
	}
	for _, i := range order {
		if err := os.WriteFile(filepath.Join(neighDir, neighKeys[i]), []byte(strconv.Itoa(v[i])+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// raiseNeigh makes the neighbour limits fit every lab on this machine, nodes of them in all,
// keeping this machine's own values (once) to put back later. It never lowers a limit.
func raiseNeigh(nodes int) error {
	cur, err := readNeigh()
	if err != nil {
		return nil // no such sysctl here: nothing to raise
	}
	need := NeighNeed(nodes)
	if cur[2] >= need[2] {
		return nil
	}
	if _, err := os.Stat(neighSaved()); os.IsNotExist(err) {
		if err := os.MkdirAll(StateRoot, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(neighSaved(), fmt.Appendf(nil, "%d %d %d\n", cur[0], cur[1], cur[2]), 0o644); err != nil {
			return err
		}
	}
	for i := range need {
		need[i] = max(need[i], cur[i])
	}
	return writeNeigh(need)
}

// restoreNeigh puts this machine's own limits back once no lab is left.
func restoreNeigh() error {
	if len(Names()) > 0 {
		return nil
	}
	b, err := os.ReadFile(neighSaved())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var v [3]int
	if _, err := fmt.Sscan(string(b), &v[0], &v[1], &v[2]); err != nil {
		return fmt.Errorf("%s: %w", neighSaved(), err)
	}
	if err := writeNeigh(v); err != nil {
		return err
	}
	return os.Remove(neighSaved())
}

// nodesInLabs counts the nodes of every lab on this machine but the one called except.
func nodesInLabs(except string) int {
	total := 0
	for _, name := range Names() {
		if inv, err := Load(name); err == nil && name != except {
			total += len(inv.Nodes)
		}
	}
	return total
}
