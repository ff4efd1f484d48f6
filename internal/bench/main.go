// Command bench is `make bench`: it measures `swarmwiz create --config PLAN --yes` against the
// baseline a careful person would run by hand (templates/bench/baseline.sh.tmpl), alternating
// the two in the same lab, and prints medians, their ratio and the wizard's time per phase.
// It also times `swarmwiz version` and `swarmwiz --help`. Needs root (the lab).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/lab"
	"github.com/swarmwiz/swarmwiz/internal/remote"
)

const labName = "bench"

// phases maps the wizard's steps to the phases the README reports.
var phases = []struct{ name, step string }{
	{"connect", "steps.Connect"}, {"facts", "steps.ReadFacts"}, {"preflight", "steps.Preflight"},
	{"init", "steps.InitSwarm"}, {"managers", "steps.JoinManagers"}, {"workers", "steps.JoinWorkers"},
	{"verify", "steps.ShowNodes"},
}

func main() {
	bin := flag.String("bin", "bin/swarmwiz", "the swarmwiz binary")
	sizes := flag.String("sizes", "7,30", "lab sizes to measure")
	runs := flag.Int("runs", 5, "runs of each side per size")
	flag.Parse()
	if err := run(*bin, *sizes, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin, sizes string, runs int) error {
	bin, _ = filepath.Abs(bin)
	startup(bin)
	defer exec.Command(bin, "lab", "down", "--name", labName).Run()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		if err := size(bin, n, runs); err != nil {
			return err
		}
	}
	return nil
}

// startup times the commands a user types first; the target is under 50 ms.
func startup(bin string) {
	for _, args := range [][]string{{"version"}, {"--help"}} {
		var ds []float64
		for i := 0; i < 21; i++ {
			t0 := time.Now()
			exec.Command(bin, args...).Run()
			ds = append(ds, time.Since(t0).Seconds()*1000)
		}
		fmt.Printf("startup swarmwiz %-9s median %.1f ms, max %.1f ms (target < 50 ms)\n", strings.Join(args, " "), median(ds), maxOf(ds))
	}
}

func size(bin string, n, runs int) error {
	out, err := exec.Command(bin, "lab", "up", "--recreate", "--name", labName, "--nodes", strconv.Itoa(n), "--subnet", "198.18.150.0/24").CombinedOutput()
	if err != nil {
		return fmt.Errorf("lab up: %v\n%s", err, out)
	}
	inv, err := lab.Load(labName)
	if err != nil {
		return err
	}
	dir, _ := os.MkdirTemp("", "swarmwiz-bench")
	defer os.RemoveAll(dir)
	planFile, baseline, err := writeInputs(dir, inv)
	if err != nil {
		return err
	}
	var wiz, base, ratios []float64
	perPhase := map[string][]float64{}
	for i := 0; i < runs; i++ {
		if err := reset(inv); err != nil {
			return err
		}
		t0 := time.Now()
		cmd := exec.Command(bin, "create", "--config", planFile, "--yes", "--quiet")
		cmd.Env = append(os.Environ(), "SWARMWIZ_TIMINGS=1")
		out, err := cmd.CombinedOutput()
		a := time.Since(t0).Seconds()
		if err != nil {
			return fmt.Errorf("swarmwiz create: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			var step string
			var sec float64
			if _, err := fmt.Sscanf(line, "timing %s %f", &step, &sec); err == nil {
				perPhase[step] = append(perPhase[step], sec)
			}
		}
		if err := reset(inv); err != nil {
			return err
		}
		t0 = time.Now()
		if out, err := exec.Command("bash", "-c", baseline).CombinedOutput(); err != nil {
			return fmt.Errorf("baseline: %v\n%s", err, out)
		}
		b := time.Since(t0).Seconds()
		wiz, base, ratios = append(wiz, a), append(base, b), append(ratios, a/b)
		fmt.Printf("  %d nodes, run %d: swarmwiz %.2fs, baseline %.2fs, ratio %.2f\n", n, i+1, a, b, a/b)
	}
	// The fastest order, for what the wizard's checks cost (see bare).
	var bares []float64
	for i := 0; i < runs; i++ {
		if err := reset(inv); err != nil {
			return err
		}
		d, err := bare(inv, 3)
		if err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		bares = append(bares, d.Seconds())
	}
	fmt.Printf("bare %d nodes (connect, init, joins only; no facts, preflight or verify): median %.2fs; swarmwiz spends %.2fs more (%.0f%% of its time)\n",
		n, median(bares), median(wiz)-median(bares), 100*(median(wiz)-median(bares))/median(wiz))
	var ph []string
	for _, p := range phases {
		ph = append(ph, fmt.Sprintf("%s %.2fs", p.name, median(perPhase[p.step])))
	}
	fmt.Printf("phases %d nodes (median): %s\n", n, strings.Join(ph, ", "))
	fmt.Printf("ratio %d nodes (3 managers, %d workers): swarmwiz median %.2fs, baseline median %.2fs, median ratio %.2f\n",
		n, n-3, median(wiz), median(base), median(ratios))
	if err := reset(inv); err != nil {
		return err
	}
	if err := parallelism(bin, planFile, n); err != nil {
		return err
	}
	return checkTimes(bin, planFile, inv, n)
}

// checkTimes times `swarmwiz check` on a swarm the wizard built: the first check loads the
// probe image onto every node, the second reuses it. The daemons are restarted first: the
// runs above made every node leave and join swarms many times, after which docker's network
// agent sometimes fails to start (moby/moby#31913), which the check would rightly report.
func checkTimes(bin, planFile string, inv *lab.Inventory, n int) error {
	for _, verb := range []string{"stop", "start"} {
		var wg sync.WaitGroup
		for _, node := range inv.Nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				exec.Command(bin, "lab", verb, "--name", labName, node.Name).Run()
			}()
		}
		wg.Wait()
	}
	if out, err := exec.Command(bin, "create", "--config", planFile, "--yes", "--quiet").CombinedOutput(); err != nil {
		return fmt.Errorf("swarmwiz create: %v\n%s", err, out)
	}
	var line []string
	for _, run := range []string{"first, image loaded", "again, image reused"} {
		t0 := time.Now()
		cmd := exec.Command(bin, "check", "--config", planFile, "--quiet")
		cmd.Env = append(os.Environ(), "SWARMWIZ_TIMINGS=1")
		out, err := cmd.CombinedOutput()
		verdict := "ok"
		if err != nil {
			// A check that finds pairs that cannot talk is a result too: say it, keep its
			// timings, and go on with the bench.
			verdict = "FAILED: " + lastLine(string(out))
		}
		var ph []string
		for _, l := range strings.Split(string(out), "\n") {
			var step string
			var sec float64
			if _, err := fmt.Sscanf(l, "timing check.%s %f", &step, &sec); err == nil {
				ph = append(ph, fmt.Sprintf("%s %.2f", step, sec))
			}
		}
		line = append(line, fmt.Sprintf("%s %.2fs, %s (%s)", run, time.Since(t0).Seconds(), verdict, strings.Join(ph, ", ")))
	}
	fmt.Printf("check %d nodes (%d directed pairs): %s\n", n, n*(n-1), strings.Join(line, "; "))
	return nil
}

// parallelism times what a run does before changing anything (connect, facts, preflight:
// `create --dry-run`) with one node at a time against the default.
func parallelism(bin, planFile string, n int) error {
	med := map[string]float64{}
	for _, p := range []string{"1", "10"} {
		var ds []float64
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			if out, err := exec.Command(bin, "create", "--config", planFile, "--dry-run", "--quiet", "--parallel", p).CombinedOutput(); err != nil {
				return fmt.Errorf("dry run: %v\n%s", err, out)
			}
			ds = append(ds, time.Since(t0).Seconds())
		}
		med[p] = median(ds)
	}
	fmt.Printf("parallel %d nodes: connect+facts+preflight (create --dry-run) --parallel 1 %.2fs, --parallel 10 %.2fs\n", n, med["1"], med["10"])
	return nil
}

// writeInputs writes the plan and renders the baseline script for the lab: 3 managers.
func writeInputs(dir string, inv *lab.Inventory) (string, string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: swarmwiz/v1\nadvertiseAddr: %s\nssh:\n  user: root\n  key: %s\n  knownHosts: %s\nnodes:\n",
		inv.Nodes[0].Address, inv.IdentityFile, inv.KnownHostsFile)
	var managers, workers []string
	for i, n := range inv.Nodes {
		role := "worker"
		if i < 3 {
			role = "manager"
			if i > 0 {
				managers = append(managers, n.Address)
			}
		} else {
			workers = append(workers, n.Address)
		}
		fmt.Fprintf(&b, "  - host: %s\n    role: %s\n", n.Address, role)
	}
	planFile := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planFile, []byte(b.String()), 0o600); err != nil {
		return "", "", err
	}
	script, err := lab.ByHandScript(inv, inv.Nodes[0].Address, managers, workers)
	return planFile, script, err
}

// reset takes every node out of any swarm, all at once.
func reset(inv *lab.Inventory) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients, err := dialNodes(ctx, inv)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			// Ignore "not part of a swarm": the node is already out.
			c.Run(ctx, "docker swarm leave --force")
		}()
	}
	wg.Wait()
	return nil
}

// dialNodes opens one SSH connection to every node of the lab, all at once.
func dialNodes(ctx context.Context, inv *lab.Inventory) ([]*remote.Client, error) {
	clients := make([]*remote.Client, len(inv.Nodes))
	errs := make([]error, len(inv.Nodes))
	var wg sync.WaitGroup
	for i, n := range inv.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i], errs[i] = remote.Dial(ctx, remote.Target{Host: n.Address, User: inv.User, IdentityFiles: []string{inv.IdentityFile}, KnownHostsFile: inv.KnownHostsFile})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return clients, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
