package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/swarmwiz/swarmwiz/internal/fanout"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/internal/progress"
	"github.com/swarmwiz/swarmwiz/internal/remote"
	"github.com/swarmwiz/swarmwiz/templates"
)

// ReadyTimeout bounds how long `lab up` waits for the slowest node.
const ReadyTimeout = 2 * time.Minute

// ErrAlreadyUp says a healthy lab of that name and shape is running; `lab up` exits 0 on it.
var ErrAlreadyUp = errors.New("already up")

// Up brings the lab cfg describes up from nothing: stale pieces of an earlier lab of the same
// name are removed first and every node starts with empty state, so no node inherits an old
// swarm. Unless recreate is set, a healthy lab of the same shape is left as it is.
func Up(ctx context.Context, cfg Config, recreate bool, po progress.Options) (*Inventory, error) {
	if err := CheckHost(); err != nil {
		return nil, err
	}
	if err := checkFree(cfg); err != nil {
		return nil, err
	}
	ctx, unlock, err := lockLab(ctx, cfg.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if old, err := Load(cfg.Name); err == nil && !recreate {
		if old.Subnet == cfg.Subnet.String() && sameShape(old, Plan(cfg)) && healthy(ctx, old) {
			if err := raiseNeigh(nodesInLabs("")); err != nil {
				return nil, err
			}
			return old, ErrAlreadyUp
		}
	}
	if err := Down(ctx, cfg.Name); err != nil {
		return nil, err
	}
	// From here every piece of a lab of this name is this run's: all or nothing.
	_ = os.RemoveAll(FailedLogs(cfg.Name))
	inv, err := build(ctx, cfg, po)
	if err != nil {
		return nil, undo(ctx, cfg.Name, err)
	}
	return inv, nil
}

// build makes the lab cfg describes, piece by piece, on a machine where none of it is left.
func build(ctx context.Context, cfg Config, po progress.Options) (*Inventory, error) {
	// After Down: the last lab going down puts this machine's limits back.
	if err := raiseNeigh(nodesInLabs(cfg.Name) + cfg.Nodes); err != nil {
		return nil, err
	}
	inv := Plan(cfg)
	if inv.HasMachines() {
		if err := CheckMachineHost(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(Dir(inv.Name), 0o700); err != nil {
			return nil, err
		}
		rep := progress.Start(po, templates.Msg("lab.progress.images", nil), 1)
		t0 := time.Now()
		err := EnsureImages(ctx, cfg.MachineOptions, Dir(inv.Name))
		rep.Item(strings.Join(uniq(cfg.OS), ", "), err, templates.Msg("lab.progress.ready", map[string]any{"Seconds": time.Since(t0).Seconds()}))
		rep.Stop()
		if err != nil {
			return nil, err
		}
	}
	if err := runScript(ctx)(NetUpScript(&inv)); err != nil {
		return nil, err
	}
	if inv.HasMachines() {
		if err := startAptProxy(ctx, &inv); err != nil {
			return nil, err
		}
	}
	if err := writeState(&inv); err != nil {
		return nil, err
	}
	if err := bootAll(ctx, &inv, po); err != nil {
		return nil, err
	}
	return &inv, inv.save()
}

// FailedLogs is where a `lab up` that failed keeps the logs of what it had made.
func FailedLogs(name string) string { return filepath.Join(filepath.Dir(StateRoot), "failed", name) }

// UndoneError is a `lab up` that failed or was interrupted, and removed everything it had made.
type UndoneError struct {
	Name string
	Err  error // why it stopped
	Undo error // removing failed too: the lab is half-made
	Logs string
	// Interrupted: stopped by Ctrl-C, not by a failure.
	Interrupted bool
}

func (e *UndoneError) Error() string {
	if e.Interrupted && e.Undo == nil {
		return templates.Msg("lab.up.interrupted", map[string]any{"Name": e.Name, "Logs": e.Logs})
	}
	if e.Undo != nil {
		return templates.Msg("lab.up.halfmade", map[string]any{"Err": e.Err, "Undo": e.Undo, "Name": e.Name})
	}
	return templates.Msg("lab.up.undone", map[string]any{"Err": e.Err, "Name": e.Name, "Logs": e.Logs})
}

func (e *UndoneError) Unwrap() error { return e.Err }

// undo removes all a failed `lab up` of name made, after keeping its logs, even when ctx was
// cancelled (Ctrl-C): a lab is all or nothing.
func undo(ctx context.Context, name string, cause error) error {
	logs := keepLogs(name)
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	return &UndoneError{Name: name, Err: cause, Undo: Down(dctx, name), Logs: logs, Interrupted: ctx.Err() != nil}
}

// keepLogs copies the logs of the lab's folder to FailedLogs, keeping their paths; "" when
// there were none.
func keepLogs(name string) string {
	dst := FailedLogs(name)
	kept := false
	_ = filepath.WalkDir(Dir(name), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".log") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(Dir(name), p)
		if os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o700) == nil && os.WriteFile(filepath.Join(dst, rel), b, 0o600) == nil {
			kept = true
		}
		return nil
	})
	if !kept {
		return ""
	}
	return dst
}

func tag(name string) string { return "swarmwiz-lab-" + name }

// writeState creates the lab's folder: its client key, every node's host key and config,
// and the known_hosts file that lists them all.
func writeState(inv *Inventory) error {
	dir := Dir(inv.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// sshd's StrictModes wants the folders above authorized_keys not writable by others.
	_ = os.Chmod(StateRoot, 0o755)
	_ = os.Chmod(filepath.Dir(StateRoot), 0o755)
	clientKey, err := newKey(inv.IdentityFile, "swarmwiz-lab-"+inv.Name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(inv.IdentityFile+".pub", ssh.MarshalAuthorizedKey(clientKey), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(clientKey), 0o600); err != nil {
		return err
	}
	hosts, err := HostsFile(inv)
	if err != nil {
		return err
	}
	var known strings.Builder
	for _, n := range inv.Nodes {
		if n.Machine() {
			line, err := writeMachineNode(inv, n, hosts)
			if err != nil {
				return err
			}
			known.WriteString(line + "\n")
			continue
		}
		for _, sub := range []string{"run", "docker", "root", "etc-docker", "log"} {
			if err := os.MkdirAll(filepath.Join(n.Dir, sub), 0o700); err != nil {
				return err
			}
		}
		hostKey, err := newKey(filepath.Join(n.Dir, "ssh_host_ed25519_key"), n.Name)
		if err != nil {
			return err
		}
		known.WriteString(remote.KnownHostsLine(n.Address, hostKey) + "\n")
		for file, render := range map[string]func(*Inventory, Node) (string, error){"sshd_config": SSHDConfig, "boot.sh": BootScript} {
			text, err := render(inv, n)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(n.Dir, file), []byte(text), 0o600); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(n.Dir, "hosts"), []byte(hosts+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.Dir, "hostname"), []byte(n.Name+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(n.Dir, "machine-id"), []byte(randomHex(16)+"\n"), 0o444); err != nil {
			return err
		}
	}
	return os.WriteFile(inv.KnownHostsFile, []byte(known.String()), 0o600)
}

// sameShape says whether a running lab has the nodes a new plan asks for.
func sameShape(old *Inventory, plan Inventory) bool {
	if len(old.Nodes) != len(plan.Nodes) {
		return false
	}
	for i, n := range plan.Nodes {
		o := old.Nodes[i]
		if o.Machine() != n.Machine() || o.OS != n.OS || o.Docker != n.Docker {
			return false
		}
	}
	return true
}

// uniq is list without repeats, in first-seen order.
func uniq(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// bootNode starts a node of either kind.
func bootNode(n Node) error {
	if n.Machine() {
		return startMachine(n)
	}
	return startNode(n)
}

// startNode starts the node's boot script in its network namespace and in new UTS and mount
// namespaces, detached from this process so the node outlives `swarmwiz lab up`.
// nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then finds no cgroups.
func startNode(n Node) error {
	log, err := os.OpenFile(filepath.Join(n.Dir, "boot.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("nsenter", "--net=/run/netns/"+n.Netns, "--",
		"unshare", "--uts", "--mount", "--propagation", "private", "--",
		"/bin/sh", filepath.Join(n.Dir, "boot.sh"))
	cmd.Stdout, cmd.Stderr = log, log
	// Born in the node's own cgroup; its dockerd puts the containers beside (CgroupParent).
	if err := startInGroup(cmd, filepath.Join(nodeGroup(n), "init")); err != nil {
		return fmt.Errorf("%s: start: %w", n.Name, err)
	}
	// Reap it if it exits while we are still here; otherwise it is the init process's.
	go cmd.Wait()
	return nil
}

// BootParallel is how many nodes start at once. Sixty daemons starting together on two
// cores starve each other: containerd misses dockerd's start deadline, dockerd kills it and
// gives up. A node that is up makes room for the next.
const BootParallel = 16

// bootAll starts every node, BootParallel at a time, each waited for until it answers.
func bootAll(ctx context.Context, inv *Inventory, po progress.Options) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout*time.Duration(1+len(inv.Nodes)/BootParallel))
	defer cancel()
	rep := progress.Start(po, templates.Msg("lab.progress.starting", nil), len(inv.Nodes))
	errs := make([]error, len(inv.Nodes))
	eachNode(inv.Nodes, BootParallel, func(i int, n Node) {
		t0 := time.Now()
		if errs[i] = bootNode(n); errs[i] == nil {
			nctx, ncancel := context.WithTimeout(ctx, ReadyTimeout)
			errs[i] = waitNode(nctx, inv, n)
			ncancel()
		}
		rep.Item(n.Name, errs[i], templates.Msg("lab.progress.ready", map[string]any{"Addr": n.Address, "Seconds": time.Since(t0).Seconds()}))
	})
	rep.Stop()
	return errors.Join(errs...)
}

// eachNode runs fn for every node, at most limit at a time, and waits for all of them.
func eachNode(nodes []Node, limit int, fn func(i int, n Node)) {
	fanout.Each(nodes, limit, func(i int, n Node) error { fn(i, n); return nil })
}

// waitReady waits until every node's dockerd answers and its sshd accepts the lab's key with
// the right host key and reports the right hostname.
func waitReady(ctx context.Context, inv *Inventory, nodes []Node, po progress.Options) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	rep := progress.Start(po, templates.Msg("lab.progress.starting", nil), len(nodes))
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			errs[i] = waitNode(ctx, inv, n)
			rep.Item(n.Name, errs[i], templates.Msg("lab.progress.ready", map[string]any{"Addr": n.Address, "Seconds": time.Since(t0).Seconds()}))
		}()
	}
	wg.Wait()
	rep.Stop()
	return errors.Join(errs...)
}

func waitNode(ctx context.Context, inv *Inventory, n Node) error {
	var last error
	err := poll.Until(ctx, 0, poll.Backoff{First: 50 * time.Millisecond, Max: 500 * time.Millisecond, Factor: 2},
		func(ctx context.Context) (bool, error) {
			last = probeNode(ctx, inv, n)
			return last == nil, nil
		})
	if err == nil {
		return nil
	}
	logs := "boot.log"
	if !n.Machine() {
		logs = templates.List([]string{"log/docker.log", "sshd.log"})
	}
	return errors.New(templates.Msg("lab.node.notready", map[string]any{"Node": n.Name, "Timeout": ReadyTimeout, "Last": last, "Logs": logs}))
}

// probeNode is one readiness check: dockerd over its socket, then a real SSH login.
// A machine node without docker only needs its sshd.
func probeNode(ctx context.Context, inv *Inventory, n Node) error {
	if n.Docker != DockerNone {
		if err := dockerAPI(n).Get(ctx, "/_ping", nil); err != nil {
			return fmt.Errorf("dockerd: %w", err)
		}
	}
	name, err := sshHostname(ctx, inv, n, 3*time.Second)
	if err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	if name != n.Name {
		return fmt.Errorf("sshd answers as %q, want %q", name, n.Name)
	}
	return nil
}

func sshHostname(ctx context.Context, inv *Inventory, n Node, timeout time.Duration) (string, error) {
	c, err := remote.Dial(ctx, remote.Target{Host: n.Address, User: inv.User, IdentityFiles: []string{inv.IdentityFile},
		KnownHostsFile: inv.KnownHostsFile, Timeout: timeout})
	if err != nil {
		return "", err
	}
	defer c.Close()
	out, _, err := c.Run(ctx, "hostname")
	return strings.TrimSpace(out), err
}

func healthy(ctx context.Context, inv *Inventory) bool {
	for _, n := range inv.Nodes {
		if probeNode(ctx, inv, n) != nil {
			return false
		}
	}
	return true
}

// Down removes the lab called name and all it left on this machine. Running it on a lab that
// is gone, or half gone, is harmless.
func Down(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	ctx, unlock, err := lockLab(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	// Every process of the lab, containers included, by the lab's cgroup.
	if err := killGroup(ctx, groupRel(name), 10*time.Second); err != nil {
		return err
	}
	if err := runScript(ctx)(DownScript(name)); err != nil {
		return err
	}
	// Machine nodes: systemd-nspawn, the apt proxy and the overlays; the images stay.
	if err := stopMachines(ctx, name); err != nil {
		return err
	}
	removeNodeLocks(name)
	if err := os.RemoveAll(Dir(name)); err != nil {
		return err
	}
	return restoreNeigh()
}

// Stop stops one node's daemons; its namespace and address stay.
func Stop(ctx context.Context, n Node) error {
	ctx, unlock, err := lockLab(ctx, labOf(n))
	if err != nil {
		return err
	}
	defer unlock()
	if n.Machine() {
		return stopMachine(ctx, n)
	}
	// Its daemons politely, then whatever is left in its cgroup: the containers too, as when
	// a real machine powers off.
	err = runScript(ctx)(StopScript(n))
	if kerr := killGroup(ctx, nodeGroup(n), 10*time.Second); kerr != nil {
		return kerr
	}
	removeCgroups(labOf(n), n.Name)
	return err
}

// Start starts a stopped node again, with the state it had, and waits until it answers.
func Start(ctx context.Context, inv *Inventory, n Node, po progress.Options) error {
	if probeNode(ctx, inv, n) == nil {
		return nil
	}
	ctx, unlock, err := lockLab(ctx, inv.Name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := Stop(ctx, n); err != nil {
		return err
	}
	if err := bootNode(n); err != nil {
		return err
	}
	return waitReady(ctx, inv, []Node{n}, po)
}

// removeNodeLocks removes the files swarmwiz's node lock left in this machine's /tmp for the
// lab's namespace nodes, which share it: named by a machine-id of this lab's (random, made by
// `lab up`) and a node's name, they are the lab's alone. Every id with every name: a node
// given another's machine-id (a cloned VM, played) is covered too.
func removeNodeLocks(name string) {
	files, _ := filepath.Glob(filepath.Join(Dir(name), "nodes", "*", "machine-id"))
	var ids, nodes []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		id, node := strings.TrimSpace(string(b)), filepath.Base(filepath.Dir(f))
		if err != nil || len(id) != 32 || strings.ContainsAny(id+node, "/.") {
			continue
		}
		ids, nodes = append(ids, id), append(nodes, node)
	}
	for _, id := range ids {
		for _, node := range nodes {
			for _, ext := range []string{".lock", ".holder"} {
				_ = os.Remove(filepath.Join("/tmp", "swarmwiz-"+id+"-"+node+ext))
			}
		}
	}
}

// lockKey holds, in a context, the lab lock its holder took.
type lockKey struct{}

type heldLock struct {
	name string
	file *os.File
}

// lockLab takes the lock of the lab called name, waiting for whoever holds it: one `lab up`,
// `lab down`, `lab stop` or `lab start` of a lab at a time. The returned context carries the
// lock: calls under it do not take it again, and every host script they run inherits the
// lock's file, so a holder killed mid-way (SIGKILL) still holds it until its last script has
// ended: a `lab down` after it waits for that, then finds every piece it made.
func lockLab(ctx context.Context, name string) (context.Context, func(), error) {
	if h, ok := ctx.Value(lockKey{}).(heldLock); ok && h.name == name {
		return ctx, func() {}, nil
	}
	dir := filepath.Join(filepath.Dir(StateRoot), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ctx, nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return ctx, nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return ctx, nil, err
	}
	return context.WithValue(ctx, lockKey{}, heldLock{name, f}), func() { f.Close() }, nil
}

// randomHex is n random bytes in hex: a machine-id has 16.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
