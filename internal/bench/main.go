// Command bench is `make bench`: it measures `swarmwiz create --config PLAN --yes` against the
// baseline a careful person would run by hand (templates/bench/baseline.sh.tmpl), and against
// its own fastest order (no facts script, no preflight), alternating the three in the same lab
// at 7, 30 and 60 nodes, and prints medians, their ratio, what the checks cost, the wizard's
// time per phase, the lab's memory and how the time grows per added worker. At 7 and 30
// nodes it also measures both over distance (distance.go): every SSH connection through a
// relay that delays it by a round trip of 0, 50 and 150 ms (-rtts).
// It also times `swarmwiz version` and `swarmwiz --help`, and the classroom under a room's
// load (classroom.go; -sizes ” measures that alone). Needs root (the lab).
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

// distanceRTTs are the round trips the distance runs measure (-rtts), at 7 and 30 nodes.
var distanceRTTs []int

// onlyDistance skips all but the distance runs (-only-distance); wizArgs are more flags for
// swarmwiz in them (-args).
var (
	onlyDistance bool
	wizArgs      []string
)

// phases maps the wizard's steps to the phases the README reports.
var phases = []struct{ name, step string }{
	// Each root node's facts are read as soon as its own connection opens: inside Connect.
	{"connect+facts", "prelude.Connect"}, {"preflight", "create.Preflight"},
	{"init", "create.InitSwarm"}, {"managers", "create.JoinManagers"}, {"workers", "create.JoinWorkers"},
	{"verify", "quorum.ShowNodes"},
}

func main() {
	bin := flag.String("bin", "bin/swarmwiz", "the swarmwiz binary")
	sizes := flag.String("sizes", "7,30,60", "lab sizes to measure")
	runs := flag.Int("runs", 5, "runs of each side per size")
	room := flag.Bool("classroom", true, "measure the classroom under a room's load")
	rtts := flag.String("rtts", "0,50,150", "round trips (ms) of the distance runs, at 7 and 30 nodes; '' for none")
	flag.BoolVar(&onlyDistance, "only-distance", false, "measure only the distance runs (and no classroom)")
	args := flag.String("args", "", "more flags for swarmwiz create in the distance runs, space-separated (to compare settings)")
	flag.Parse()
	wizArgs = strings.Fields(*args)
	if onlyDistance {
		*room = false
	}
	for _, f := range strings.Split(*rtts, ",") {
		if ms, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			distanceRTTs = append(distanceRTTs, ms)
		}
	}
	if *room {
		if err := classroomLoad(*bin); err != nil {
			fmt.Fprintln(os.Stderr, "bench: classroom:", err)
			os.Exit(1)
		}
	}
	if *sizes == "" {
		return
	}
	if err := run(*bin, *sizes, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin, sizes string, runs int) error {
	bin, _ = filepath.Abs(bin)
	startup(bin)
	defer exec.Command(bin, "lab", "down", "--name", labName).Run()
	var samples []sample
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		res, err := size(bin, n, runs)
		if err != nil {
			return err
		}
		samples = append(samples, res)
	}
	if !onlyDistance {
		growth(samples)
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

// sample is one size's medians: what the growth lines compare.
type sample struct {
	n           int
	wiz, byHand float64
}

func size(bin string, n, runs int) (sample, error) {
	exec.Command(bin, "lab", "down", "--name", labName).Run()
	memBefore := memUsed()
	out, err := exec.Command(bin, "lab", "up", "--name", labName, "--nodes", strconv.Itoa(n), "--subnet", "198.18.150.0/24").CombinedOutput()
	if err != nil {
		return sample{}, fmt.Errorf("lab up: %v\n%s", err, out)
	}
	inv, err := lab.Load(labName)
	if err != nil {
		return sample{}, err
	}
	dir, _ := os.MkdirTemp("", "swarmwiz-bench")
	defer os.RemoveAll(dir)
	planFile, baseline, err := writeInputs(dir, inv)
	if err != nil {
		return sample{}, err
	}
	if onlyDistance {
		return sample{n: n}, distance(bin, inv, planFile, distanceRTTs, min(runs, 3))
	}
	// Three sides alternate in every run, so that a busier minute of the machine falls on
	// all of them: swarmwiz, swarmwiz in its fastest order (no facts script, no preflight:
	// what its checks cost), and the by-hand baseline.
	var wiz, fast, base, ratios []float64
	perPhase := map[string][]float64{}
	if n > 30 {
		// At 60 nodes one run of the three sides takes about six minutes: three runs.
		runs = min(runs, 3)
	}
	for i := 0; i < runs; i++ {
		a, err := create(bin, planFile, inv, perPhase, false)
		if err != nil {
			return sample{}, err
		}
		f, err := create(bin, planFile, inv, nil, true)
		if err != nil {
			return sample{}, err
		}
		if err := reset(inv); err != nil {
			return sample{}, err
		}
		t0 := time.Now()
		if out, err := exec.Command("bash", "-c", baseline).CombinedOutput(); err != nil {
			return sample{}, fmt.Errorf("baseline: %v\n%s", err, out)
		}
		b := time.Since(t0).Seconds()
		wiz, fast, base, ratios = append(wiz, a), append(fast, f), append(base, b), append(ratios, a/b)
		fmt.Printf("  %d nodes, run %d: swarmwiz %.2fs, without checks %.2fs, baseline %.2fs, ratio %.2f\n", n, i+1, a, f, b, a/b)
	}
	fmt.Printf("memory %d nodes: %d MiB in use with the swarm formed (%.0f MiB a node)\n", n, (memUsed()-memBefore)>>20, float64((memUsed()-memBefore)>>20)/float64(n))
	fmt.Printf("phases %d nodes (median): %s\n", n, phaseLine(perPhase))
	fmt.Printf("checks %d nodes: swarmwiz median %.2fs, without facts and preflight %.2fs: the checks cost %.2fs (%.0f%% of the total)\n",
		n, median(wiz), median(fast), median(wiz)-median(fast), 100*(median(wiz)-median(fast))/median(wiz))
	fmt.Printf("ratio %d nodes (3 managers, %d workers): swarmwiz median %.2fs, baseline median %.2fs, median ratio %.2f\n",
		n, n-3, median(wiz), median(base), median(ratios))
	res := sample{n, median(wiz), median(base)}
	if n > 30 {
		// The check's 3,540 pairs at 60 nodes would take most of an hour: its figures are
		// measured at 7 and 30.
		return res, nil
	}
	if len(distanceRTTs) > 0 {
		if err := distance(bin, inv, planFile, distanceRTTs, min(runs, 3)); err != nil {
			return res, err
		}
	}
	if err := reset(inv); err != nil {
		return res, err
	}
	if err := parallelism(bin, planFile, n); err != nil {
		return res, err
	}
	return res, checkTimes(bin, planFile, inv, n)
}

// create times one `swarmwiz create --config PLAN --yes` on nodes out of any swarm, adding
// its step timings to perPhase (nil: not kept); fast is the hidden fastest order.
func create(bin, planFile string, inv *lab.Inventory, perPhase map[string][]float64, fast bool) (float64, error) {
	if err := reset(inv); err != nil {
		return 0, err
	}
	t0 := time.Now()
	cmd := exec.Command(bin, "create", "--config", planFile, "--yes", "--quiet")
	cmd.Env = append(os.Environ(), "SWARMWIZ_TIMINGS=1")
	if fast {
		cmd.Env = append(cmd.Env, "SWARMWIZ_BENCH_NOCHECKS=1")
	}
	out, err := cmd.CombinedOutput()
	d := time.Since(t0).Seconds()
	if err != nil {
		return 0, fmt.Errorf("swarmwiz create: %v\n%s", err, out)
	}
	addTimings(perPhase, string(out), "")
	return d, nil
}

// addTimings adds the step timings a run printed (SWARMWIZ_TIMINGS=1: "timing STEP SECONDS")
// to perPhase (nil: not kept).
func addTimings(perPhase map[string][]float64, out, prefix string) {
	for _, line := range strings.Split(out, "\n") {
		var step string
		var sec float64
		if _, err := fmt.Sscanf(line, "timing "+prefix+"%s %f", &step, &sec); err == nil && perPhase != nil {
			perPhase[step] = append(perPhase[step], sec)
		}
	}
}

// phaseLine is the README's phases, each its median over the runs.
func phaseLine(perPhase map[string][]float64) string {
	var ph []string
	for _, p := range phases {
		ph = append(ph, fmt.Sprintf("%s %.2fs", p.name, median(perPhase[p.step])))
	}
	return strings.Join(ph, ", ")
}

// growth says how the time grows with the node count: seconds per added worker between
// each measured size and the next.
func growth(samples []sample) {
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		added := float64(b.n - a.n)
		fmt.Printf("growth %d to %d nodes: swarmwiz %.2fs per added worker, baseline %.2fs per added worker\n",
			a.n, b.n, (b.wiz-a.wiz)/added, (b.byHand-a.byHand)/added)
	}
}

// memUsed is the machine's memory in use (MemTotal less MemAvailable), in bytes.
func memUsed() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	var total, avail int64
	for _, line := range strings.Split(string(b), "\n") {
		var key string
		var kb int64
		if _, err := fmt.Sscanf(line, "%s %d", &key, &kb); err == nil {
			switch key {
			case "MemTotal:":
				total = kb
			case "MemAvailable:":
				avail = kb
			}
		}
	}
	return (total - avail) << 10
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
// `create --dry-run`) with one node at a time, ten, and the default (every node at once).
func parallelism(bin, planFile string, n int) error {
	med := map[string]float64{}
	for _, p := range []string{"1", "10", ""} {
		var ds []float64
		for i := 0; i < 3; i++ {
			t0 := time.Now()
			args := []string{"create", "--config", planFile, "--dry-run", "--quiet"}
			if p != "" {
				args = append(args, "--parallel", p)
			}
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				return fmt.Errorf("dry run: %v\n%s", err, out)
			}
			ds = append(ds, time.Since(t0).Seconds())
		}
		med[p] = median(ds)
	}
	fmt.Printf("parallel %d nodes: connect+facts+preflight (create --dry-run) --parallel 1 %.2fs, --parallel 10 %.2fs, default (reads at once) %.2fs\n", n, med["1"], med["10"], med[""])
	return nil
}

// writeInputs writes the plan and renders the baseline script for the lab: 3 managers.
func writeInputs(dir string, inv *lab.Inventory) (string, string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: swarmwiz/v1\nadvertiseAddr: %s\nssh:\n  user: root\n  key: %s\n  knownHosts: %s\nnodes:\n",
		inv.Nodes[0].Address, inv.IdentityFile, inv.KnownHostsFile)
	for i, n := range inv.Nodes {
		role := "worker"
		if i < 3 {
			role = "manager"
		}
		fmt.Fprintf(&b, "  - host: %s\n    role: %s\n", n.Address, role)
	}
	managers, workers := roles(inv)
	planFile := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planFile, []byte(b.String()), 0o600); err != nil {
		return "", "", err
	}
	script, err := lab.ByHandScript(inv, inv.Nodes[0].Address, managers, workers)
	return planFile, script, err
}

// roles are the addresses of the plan's other managers (the first node starts the swarm; the
// next two join as managers) and of its workers, as the by-hand baseline joins them.
func roles(inv *lab.Inventory) (managers, workers []string) {
	for i, n := range inv.Nodes {
		switch {
		case i == 0:
		case i < 3:
			managers = append(managers, n.Address)
		default:
			workers = append(workers, n.Address)
		}
	}
	return managers, workers
}

// reset takes every node out of any swarm, all at once, and waits for the machine to settle.
func reset(inv *lab.Inventory) error {
	if err := leaveAll(inv); err != nil {
		return err
	}
	settle()
	return nil
}

// settle waits, up to a minute and a half, until the machine's CPUs are at least 70% idle
// over a second: a swarm just formed or just left keeps the daemons busy for a minute or
// more at 60 nodes (gossip, every node's ingress set up or torn down), and that work would
// otherwise fall on whichever side is timed next.
func settle() {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		busy0, total0 := cpuTimes()
		time.Sleep(time.Second)
		busy1, total1 := cpuTimes()
		if total1 > total0 && float64(busy1-busy0)/float64(total1-total0) <= 0.30 {
			return
		}
	}
}

// cpuTimes are the machine's busy and total CPU ticks (/proc/stat).
func cpuTimes() (busy, total int64) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// leaveAll takes every node out of any swarm, all at once.
func leaveAll(inv *lab.Inventory) error {
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
