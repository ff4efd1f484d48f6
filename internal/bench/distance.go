package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/lab"
)

// distance is swarmwiz against the by-hand baseline with the nodes far away: every SSH
// connection, both sides', goes through a relay per node that delays each way by half the
// round trip (the nodes' addresses, and so the swarm's, stay the real ones: each is an
// ssh_config alias for its relay). It prints, per round trip, both medians, the ratio, and
// swarmwiz's critical path: its time above the 0 ms run, in round trips.
func distance(bin string, inv *lab.Inventory, planFile string, rtts []int, runs int) error {
	dir, err := os.MkdirTemp("", "swarmwiz-distance")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	n := len(inv.Nodes)
	zero := -1.0 // swarmwiz's time at 0 ms, once measured: the critical path is counted from it
	for _, ms := range rtts {
		rtt := time.Duration(ms) * time.Millisecond
		config, known, stop, err := relays(dir, inv, rtt)
		if err != nil {
			return err
		}
		managers, workers := roles(inv)
		baseline, err := lab.ByHandScriptThrough(inv, config, known, inv.Nodes[0].Address, managers, workers)
		if err != nil {
			stop()
			return err
		}
		var wiz, base []float64
		perPhase := map[string][]float64{}
		for i := 0; i < runs; i++ {
			if err := reset(inv); err != nil {
				stop()
				return err
			}
			t0 := time.Now()
			args := append([]string{"create", "--config", planFile, "--ssh-config", config, "--known-hosts", known, "--yes", "--quiet"}, wizArgs...)
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "SWARMWIZ_TIMINGS=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				stop()
				return fmt.Errorf("swarmwiz create at %d ms: %v\n%s", ms, err, out)
			}
			wiz = append(wiz, time.Since(t0).Seconds())
			addTimings(perPhase, string(out), "")
			if err := reset(inv); err != nil {
				stop()
				return err
			}
			t0 = time.Now()
			if out, err := exec.Command("bash", "-c", baseline).CombinedOutput(); err != nil {
				stop()
				return fmt.Errorf("baseline at %d ms: %v\n%s", ms, err, out)
			}
			base = append(base, time.Since(t0).Seconds())
		}
		stop()
		w, b := median(wiz), median(base)
		if ms == 0 {
			zero = w
		}
		path := "-"
		if ms > 0 && zero >= 0 {
			path = fmt.Sprintf("%.1f", (w-zero)/rtt.Seconds())
		}
		fmt.Printf("distance %d nodes RTT %d ms: swarmwiz %.2f s, by hand %.2f s, ratio %.2f, critical path %s round trips\n", n, ms, w, b, w/b, path)
		fmt.Printf("  phases %d nodes RTT %d ms (median): %s\n", n, ms, phaseLine(perPhase))
	}
	return nil
}

// relays starts a delaying relay per node and writes the ssh_config that sends each node's
// address through its relay, and the known_hosts that names each relay with its node's key.
// stop ends the relays.
func relays(dir string, inv *lab.Inventory, rtt time.Duration) (config, known string, stop func(), err error) {
	keys, err := os.ReadFile(inv.KnownHostsFile)
	if err != nil {
		return "", "", nil, err
	}
	var rs []*relay
	stop = func() {
		for _, r := range rs {
			r.close()
		}
	}
	var cfg, kh strings.Builder
	for _, node := range inv.Nodes {
		r, err := newRelay(node.Address+":22", rtt)
		if err != nil {
			stop()
			return "", "", nil, err
		}
		rs = append(rs, r)
		fmt.Fprintf(&cfg, "Host %s\n  HostName 127.0.0.1\n  Port %d\n", node.Address, r.port())
		for _, line := range strings.Split(string(keys), "\n") {
			if host, key, ok := strings.Cut(line, " "); ok && host == node.Address {
				fmt.Fprintf(&kh, "[127.0.0.1]:%d %s\n", r.port(), key)
			}
		}
	}
	name := fmt.Sprintf("rtt%d", rtt.Milliseconds())
	config, known = filepath.Join(dir, name+".ssh_config"), filepath.Join(dir, name+".known_hosts")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err == nil {
		err = os.WriteFile(known, []byte(kh.String()), 0o600)
	}
	if err != nil {
		stop()
		return "", "", nil, err
	}
	return config, known, stop, nil
}
