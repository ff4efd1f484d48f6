package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/templates"
)

// Machine nodes: a booted Debian per node (systemd-nspawn over an overlay of a cached base
// image), with its own /etc, users, host keys, machine-id, locale and systemd. See
// shared/LAB-NOTES.md ("Machine nodes") for why each part of the boot is needed.

// Kinds of node.
const (
	KindNamespace = "namespace"
	KindMachine   = "machine"
)

// Docker on machine nodes: baked into the image, or absent as on a learner's new VM.
const (
	DockerPreinstalled = "preinstalled"
	DockerNone         = "none"
)

// Releases are the operating systems a machine node can run: the name `--os` takes and
// the Debian suite debootstrap fetches.
var Releases = map[string]string{"debian-11": "bullseye", "debian-12": "bookworm", "debian-13": "trixie"}

// ImageRoot holds the cached base images, one folder per release; `lab down` leaves it.
func ImageRoot() string { return filepath.Join(filepath.Dir(StateRoot), "images") }

// AptCacheDir is the apt proxy's cache, shared by every lab so a second lab starts warm.
func AptCacheDir() string { return filepath.Join(filepath.Dir(StateRoot), "apt-cache") }

// AptProxyPort is where the apt proxy listens, on the lab bridge's address only.
const AptProxyPort = 3142

// machinePrograms are what machine nodes need on the host, besides the namespace lab's.
var machinePrograms = []string{"debootstrap", "systemd-nspawn", "apt-cacher-ng", "mount", "umount"}

// machineHint is how to get machinePrograms on Debian.
const machineHint = "apt-get install debootstrap systemd-container apt-cacher-ng"

// CheckMachineHost says why this machine cannot run machine nodes, or nil.
func CheckMachineHost() error {
	var missing []string
	for _, p := range machinePrograms {
		if _, err := exec.LookPath(p); err != nil {
			if _, err := os.Stat("/usr/sbin/" + p); err != nil {
				missing = append(missing, p)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingError{Programs: missing, Hint: machineHint}
}

// ParseOS reads `--os`: one release for every node ("debian-12"), or a mix with counts
// ("debian-12:4,debian-11:2,debian-13:1") that adds up to the node count. nodes < 0 means
// the count was not given and the mix sets it. It returns one release per node.
func ParseOS(spec string, nodes int) ([]string, error) {
	if spec == "" {
		return nil, nil
	}
	names := make([]string, 0, len(Releases))
	for k := range Releases {
		names = append(names, k)
	}
	sort.Strings(names)
	bad := func() error {
		return failure.Usagef("%s", templates.Msg("lab.cfg.os", map[string]string{"Value": spec, "Known": strings.Join(names, ", ")}))
	}
	var out []string
	parts := strings.Split(spec, ",")
	for _, part := range parts {
		rel, count, hasCount := strings.Cut(strings.TrimSpace(part), ":")
		if _, ok := Releases[rel]; !ok {
			return nil, bad()
		}
		if !hasCount {
			if len(parts) > 1 {
				return nil, bad()
			}
			n := nodes
			if n < 0 {
				n = DefaultNodes
			}
			for range n {
				out = append(out, rel)
			}
			continue
		}
		c, err := strconv.Atoi(count)
		if err != nil || c < 1 {
			return nil, bad()
		}
		for range c {
			out = append(out, rel)
		}
	}
	if nodes >= 0 && len(out) != nodes {
		return nil, failure.Usagef("%s", templates.Msg("lab.cfg.ossum", map[string]any{"Value": spec, "Sum": len(out), "Nodes": nodes}))
	}
	if len(out) > MaxNodes {
		return nil, failure.Usagef("%s", templates.Msg("lab.cfg.osmax", map[string]any{"Value": spec, "Sum": len(out), "Max": MaxNodes}))
	}
	return out, nil
}

// MachineOptions are the choices `lab up` takes for machine nodes.
type MachineOptions struct {
	OS     []string // a release per node; empty for namespace nodes
	Docker string   // DockerPreinstalled or DockerNone
}

// imageDir is where a release's base image (rootfs) lives, and its docker layer.
func imageDir(release string) string { return filepath.Join(ImageRoot(), release) }

// layerPath is where a release's layer ("base" or "docker") is cached: its name carries a
// digest of the scripts that build it, so a changed recipe (or mirror) builds a new image
// rather than reusing a stale one.
func layerPath(release, layer string) string { return layerPathFrom(release, layer, Mirror()) }

func layerPathFrom(release, layer, mirror string) string {
	key, _ := imageScript(release, "base", mirror, "", "")
	if layer == "docker" {
		more, _ := imageScript(release, "docker", mirror, "", "")
		key += more
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(imageDir(release), layer+"-"+hex.EncodeToString(sum[:4]))
}

// Layers are the overlay's lower directories for a node of this release, top first.
func Layers(release, docker string) []string {
	base := layerPath(release, "base")
	if docker == DockerPreinstalled {
		return []string{layerPath(release, "docker"), base}
	}
	return []string{base}
}

// Image is one cached image as `lab images` lists it.
type Image struct {
	Release string `json:"release"`
	Layer   string `json:"layer"` // base or docker
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
}

// Images lists the cached images.
func Images() []Image {
	var out []Image
	rels, _ := os.ReadDir(ImageRoot())
	for _, r := range rels {
		layers, _ := os.ReadDir(filepath.Join(ImageRoot(), r.Name()))
		for _, l := range layers {
			layer, _, ok := strings.Cut(l.Name(), "-")
			if !l.IsDir() || !ok || strings.HasSuffix(l.Name(), ".tmp") {
				continue
			}
			p := filepath.Join(ImageRoot(), r.Name(), l.Name())
			out = append(out, Image{Release: r.Name(), Layer: layer, Path: p, Bytes: du(p)})
		}
	}
	return out
}

// du is the bytes the files under p take.
func du(p string) int64 {
	var n int64
	_ = filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// Prune removes the cached images and the apt proxy's cache. It refuses while a lab with
// machine nodes is up: their root filesystems sit on these images.
func Prune() error {
	for _, name := range Names() {
		if inv, err := Load(name); err == nil && inv.HasMachines() {
			return failure.Usagef("%s", templates.Msg("lab.prune.busy", name))
		}
	}
	if err := os.RemoveAll(ImageRoot()); err != nil {
		return err
	}
	return os.RemoveAll(AptCacheDir())
}

// HasMachines says whether any node of the lab is a machine node.
func (inv *Inventory) HasMachines() bool {
	for _, n := range inv.Nodes {
		if n.Kind == KindMachine {
			return true
		}
	}
	return false
}

// Mirror is the Debian mirror this machine's apt already uses (the first http URI of a
// Debian source), so images come from where packages already come from.
func Mirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append([]string{"/etc/apt/sources.list"}, files...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			for _, fld := range fields {
				if strings.HasPrefix(fld, "http://") && strings.HasSuffix(strings.TrimRight(fld, "/"), "/debian") {
					return strings.TrimRight(fld, "/")
				}
			}
		}
	}
	return "http://deb.debian.org/debian"
}

// EnsureImages builds the images these nodes need that are not cached yet: the releases at
// once (debootstrap waits on the mirror as much as on the disk), each under its own lock so
// two labs never build the same image. Each release's build log is logDir/images-RELEASE.log.
func EnsureImages(ctx context.Context, opts MachineOptions, logDir string) error {
	releases := uniq(opts.OS)
	errs := make([]error, len(releases))
	var wg sync.WaitGroup
	for i, rel := range releases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ensureImage(ctx, rel, opts.Docker == DockerPreinstalled, filepath.Join(logDir, "images-"+rel+".log"))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func ensureImage(ctx context.Context, rel string, docker bool, logPath string) error {
	if err := os.MkdirAll(imageDir(rel), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(imageDir(rel), ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return err
	}
	for _, layer := range []string{"base", "docker"} {
		if layer == "docker" && !docker {
			continue
		}
		if _, err := os.Stat(layerPath(rel, layer)); err == nil {
			continue
		}
		script, err := ImageScript(rel, layer, Mirror())
		if err != nil {
			return err
		}
		if err := runLogged(ctx, script, logPath); err != nil {
			return errors.New(templates.Msg("lab.image.failed", map[string]string{"Release": rel, "Layer": layer, "Err": err.Error(), "Log": logPath}))
		}
	}
	return nil
}

// ImageScript builds a release's base image, or its docker layer, from mirror.
func ImageScript(release, layer, mirror string) (string, error) {
	return imageScript(release, layer, mirror, layerPathFrom(release, layer, mirror), layerPathFrom(release, "base", mirror))
}

func imageScript(release, layer, mirror, out, base string) (string, error) {
	return templates.Render("image-"+layer+".sh.tmpl", map[string]any{
		"Release": release, "Suite": Releases[release], "Mirror": mirror, "Out": out, "Base": base,
	})
}

// AptProxyConfig is the lab's apt-cacher-ng configuration.
func AptProxyConfig(inv *Inventory) (string, error) {
	return templates.Render("acng.conf.tmpl", map[string]any{
		"CacheDir": AptCacheDir(), "LogDir": aptProxyDir(inv), "Address": inv.HostAddress, "Port": AptProxyPort,
	})
}

// NodeAptConfig points a machine node's apt at the lab's proxy.
func NodeAptConfig(inv *Inventory) (string, error) {
	return templates.Render("apt-proxy.conf.tmpl", map[string]any{"Address": inv.HostAddress, "Port": AptProxyPort})
}

// runLogged runs a host script with bash, appending all it prints to the log at path.
func runLogged(ctx context.Context, script, path string) error {
	log, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	err = BashRunner(ctx, script, log)
	if err != nil {
		return fmt.Errorf("%v: %s", err, tail(path, 5))
	}
	return nil
}

// aptProxyDir holds the lab's apt proxy: its configuration, pid and logs.
func aptProxyDir(inv *Inventory) string { return filepath.Join(Dir(inv.Name), "apt-proxy") }

// startAptProxy starts apt-cacher-ng for this lab, listening only on the bridge's address.
func startAptProxy(ctx context.Context, inv *Inventory) error {
	dir := aptProxyDir(inv)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(AptCacheDir(), 0o755); err != nil {
		return err
	}
	conf, err := AptProxyConfig(inv)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "acng.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(dir, "out.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("apt-cacher-ng", "-c", dir, "ForeGround=1")
	cmd.Stdout, cmd.Stderr = log, log
	if err := startInGroup(cmd, groupRel(inv.Name, "apt-proxy")); err != nil {
		return fmt.Errorf("apt proxy: %w", err)
	}
	go cmd.Wait()
	if err := writePIDFile(filepath.Join(dir, "pid"), cmd.Process.Pid); err != nil {
		return err
	}
	// It answers within a moment; nodes only use it later, but say so now if it cannot.
	err = poll.Until(ctx, 5*time.Second, poll.Backoff{First: 20 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2},
		func(context.Context) (bool, error) {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", inv.HostAddress, AptProxyPort), time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil, nil
		})
	if err != nil {
		return fmt.Errorf("apt proxy did not start; see %s", filepath.Join(dir, "out.log"))
	}
	return nil
}

// nodeFile is a file written into a machine node's root before it boots.
type nodeFile struct {
	path string
	mode os.FileMode
	data []byte
}

// writeMachineNode prepares a machine node before its first boot: the overlay, and the files
// that make it a machine of its own (hostname, machine-id, three host keys, root's key, the
// apt proxy, /etc/hosts).
func writeMachineNode(inv *Inventory, n Node, hosts string) (hostKeyLine string, err error) {
	// The upper layer's top is the node's "/": 0755 as on any machine, or users other than
	// root (dbus's messagebus, a learner) cannot reach anything.
	for sub, mode := range map[string]os.FileMode{"upper": 0o755, "work": 0o700, "root": 0o755, "docker": 0o710} {
		if err := os.MkdirAll(filepath.Join(n.Dir, sub), mode); err != nil {
			return "", err
		}
		if err := os.Chmod(filepath.Join(n.Dir, sub), mode); err != nil {
			return "", err
		}
	}
	if err := mountOverlay(n); err != nil {
		return "", err
	}
	root := filepath.Join(n.Dir, "root")
	keyDir := filepath.Join(n.Dir, "hostkeys")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return "", err
	}
	for _, t := range []string{"rsa", "ecdsa", "ed25519"} {
		key := filepath.Join(keyDir, "ssh_host_"+t+"_key")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", t, "-N", "", "-C", "root@"+n.Name, "-f", key).CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: ssh-keygen %s: %v %s", n.Name, t, err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(keyDir, "ssh_host_ed25519_key.pub"))
	if err != nil {
		return "", err
	}
	authorized, err := os.ReadFile(filepath.Join(Dir(inv.Name), "authorized_keys"))
	if err != nil {
		return "", err
	}
	proxy, err := NodeAptConfig(inv)
	if err != nil {
		return "", err
	}
	files := []nodeFile{
		{"etc/hostname", 0o644, []byte(n.Name + "\n")},
		{"etc/hosts", 0o644, []byte(hosts + "\n")},
		{"etc/machine-id", 0o444, []byte(randomHex(16) + "\n")},
		{"etc/apt/apt.conf.d/01swarmwiz-proxy", 0o644, []byte(proxy)},
		{"root/.ssh/authorized_keys", 0o600, authorized},
	}
	for _, t := range []string{"rsa", "ecdsa", "ed25519"} {
		for _, suffix := range []string{"", ".pub"} {
			name := "ssh_host_" + t + "_key" + suffix
			b, err := os.ReadFile(filepath.Join(keyDir, name))
			if err != nil {
				return "", err
			}
			mode := os.FileMode(0o600)
			if suffix != "" {
				mode = 0o644
			}
			files = append(files, nodeFile{"etc/ssh/" + name, mode, b})
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "root/.ssh"), 0o700); err != nil {
		return "", err
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		_ = os.Remove(p)
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return "", fmt.Errorf("%s: %w", n.Name, err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return "", err
		}
	}
	fields := strings.Fields(string(pub))
	return n.Address + " " + fields[0] + " " + fields[1], nil
}

// mountOverlay mounts the node's root filesystem: its own upper layer over the images.
func mountOverlay(n Node) error {
	root := filepath.Join(n.Dir, "root")
	if slices.Contains(mountPoints(), root) {
		return nil
	}
	opts := "lowerdir=" + strings.Join(Layers(n.OS, n.Docker), ":") + ",upperdir=" + filepath.Join(n.Dir, "upper") + ",workdir=" + filepath.Join(n.Dir, "work")
	if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", opts, root).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: mount overlay: %v %s", n.Name, err, out)
	}
	return nil
}

// mountPoints are this machine's mount points, from /proc/self/mounts.
func mountPoints() []string {
	b, _ := os.ReadFile("/proc/self/mounts")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			out = append(out, f[1])
		}
	}
	return out
}

// labOf is the name of the lab a node belongs to: its folder is LABDIR/nodes/NODE.
func labOf(n Node) string { return filepath.Base(filepath.Dir(filepath.Dir(n.Dir))) }

// startMachine boots a machine node with systemd-nspawn in its network namespace.
func startMachine(n Node) error {
	if err := mountOverlay(n); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(n.Dir, "boot.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	args := []string{"-q", "-D", filepath.Join(n.Dir, "root"), "--boot", "--register=no", "--keep-unit",
		"--network-namespace-path=/run/netns/" + n.Netns, "--capability=all",
		"--system-call-filter=add_key keyctl bpf", "--console=passive", "-M", n.Name,
		"--bind=" + filepath.Join(n.Dir, "docker") + ":/var/lib/docker"}
	// Each machine in a cgroup of its own: without a systemd on this machine to give each one
	// a unit, every systemd-nspawn would make its "supervisor" and "payload" groups in the
	// same place, and the nodes' systemds would trip over each other's services
	// ("219/CGROUP", "Failed to kill control group").
	groups, err := nodeCgroups(n)
	if err != nil {
		return err
	}
	wrapper := `for g in "$@"; do case "$g" in --) break;; esac; echo $$ >"$g/cgroup.procs"; done
while [ "$1" != -- ]; do shift; done; shift; exec systemd-nspawn "$@"`
	cmd := exec.Command("sh", append(append([]string{"-c", wrapper, "sh"}, append(groups, "--")...), args...)...)
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1", "SYSTEMD_NSPAWN_API_VFS_WRITABLE=yes")
	cmd.Stdout, cmd.Stderr = log, log
	if err := startInGroup(cmd, nodeGroup(n)); err != nil {
		return fmt.Errorf("%s: systemd-nspawn: %w", n.Name, err)
	}
	go cmd.Wait()
	return writePIDFile(filepath.Join(n.Dir, "nspawn.pid"), cmd.Process.Pid)
}

// cgroupRoots are the hierarchies a machine gets a group of its own in: the unified one
// (all of /sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1 controllers) and systemd's
// named v1 hierarchy where there is one.
func cgroupRoots() []string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return []string{"/sys/fs/cgroup"}
	}
	var roots []string
	for _, r := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"} {
		if _, err := os.Stat(filepath.Join(r, "cgroup.procs")); err == nil {
			roots = append(roots, r)
		}
	}
	return roots
}

// nodeCgroups makes the node's own groups, swarmwiz-lab/LAB/NODE in each hierarchy.
func nodeCgroups(n Node) ([]string, error) {
	var out []string
	for _, r := range cgroupRoots() {
		g := filepath.Join(r, nodeGroup(n))
		if err := os.MkdirAll(g, 0o755); err != nil {
			return nil, fmt.Errorf("%s: cgroup: %w", n.Name, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// machinePID is the pid of systemd-nspawn for this node, or 0: only while the process the
// pid file recorded still runs (its start time matches), never a stranger at that number.
func machinePID(n Node) int { return livePID(filepath.Join(n.Dir, "nspawn.pid")) }

// initPID is the node's own PID 1 (systemd), seen from this machine, or 0: the child of
// systemd-nspawn.
func initPID(n Node) int {
	pid := machinePID(n)
	if pid == 0 {
		return 0
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, f := range strings.Fields(string(b)) {
		if c, err := strconv.Atoi(f); err == nil {
			return c
		}
	}
	return 0
}

// stopMachine powers the node off the way a real machine shuts down (SIGTERM to
// systemd-nspawn asks its systemd to halt), then kills what is left and unmounts its root.
func stopMachine(ctx context.Context, n Node) error {
	stopRecorded(ctx, filepath.Join(n.Dir, "nspawn.pid"), syscall.SIGTERM, 20*time.Second)
	err := runScript(ctx)(StopScript(n))
	if kerr := killGroup(ctx, nodeGroup(n), 10*time.Second); kerr != nil {
		return kerr
	}
	if err != nil {
		return err
	}
	removeCgroups(labOf(n), n.Name)
	return unmountUnder(n.Dir)
}

// unmountUnder unmounts every mount at or below dir, deepest first.
func unmountUnder(dir string) error {
	var paths []string
	for _, p := range mountPoints() {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			paths = append(paths, p)
		}
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	for _, p := range paths {
		if out, err := exec.Command("umount", p).CombinedOutput(); err != nil {
			if out2, err2 := exec.Command("umount", "-l", p).CombinedOutput(); err2 != nil {
				return fmt.Errorf("umount %s: %v %s %s", p, err, out, out2)
			}
		}
	}
	return nil
}

// stopAptProxy stops the lab's apt proxy, if it runs.
func stopAptProxy(ctx context.Context, name string) {
	stopRecorded(ctx, filepath.Join(Dir(name), "apt-proxy", "pid"), syscall.SIGTERM, 2500*time.Millisecond)
}

// stopMachines stops every machine node of the lab called name (read from its node folders,
// so a half-written lab is cleaned too) and its apt proxy.
func stopMachines(ctx context.Context, name string) error {
	nodes, _ := filepath.Glob(filepath.Join(Dir(name), "nodes", "*", "nspawn.pid"))
	for _, pidFile := range nodes {
		stopRecorded(ctx, pidFile, syscall.SIGKILL, 5*time.Second)
	}
	stopAptProxy(ctx, name)
	removeCgroups(name, "")
	return unmountUnder(Dir(name))
}
