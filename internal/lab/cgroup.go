package lab

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Every process of a lab lives in a cgroup of the lab's own: swarmwiz-lab/LAB/PART, where PART
// is a node (a machine node's systemd-nspawn; a namespace node's daemons in NODE/init and its
// containers in NODE/docker, dockerd's --cgroup-parent) or the apt proxy. Membership is the
// proof a process is the lab's: swarmwiz made the group and only the lab's processes are born
// in it. `lab down` kills the lab's group, `lab stop` a node's, so nothing a node started (a
// learner's service, check's probes, the drill's containers) outlives it.

// groupRel is the lab's group, or a part of it, relative to a hierarchy's root.
func groupRel(lab string, parts ...string) string {
	return filepath.Join(append([]string{"swarmwiz-lab", lab}, parts...)...)
}

// nodeGroup is a node's group, relative to a hierarchy's root.
func nodeGroup(n Node) string { return groupRel(labOf(n), n.Name) }

// CgroupParent is the group a namespace node's dockerd puts its containers in (absolute, as
// dockerd's cgroupfs driver wants it).
func CgroupParent(n Node) string { return "/" + filepath.Join(nodeGroup(n), "docker") }

// unifiedRoot is where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on a v2-only machine,
// /sys/fs/cgroup/unified beside v1 controllers, "" where there is none.
func unifiedRoot() string {
	for _, r := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(r, "cgroup.controllers")); err == nil {
			return r
		}
	}
	return ""
}

// cgroupMounts are the mount points of every cgroup hierarchy, v1 and v2: dockerd's cgroupfs
// driver makes a container's group in each, under its --cgroup-parent.
func cgroupMounts() []string {
	b, _ := os.ReadFile("/proc/self/mounts")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 2 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			out = append(out, f[1])
		}
	}
	return out
}

// removeCgroups removes the lab's groups (node is "" for all of the lab's) in every hierarchy,
// deepest first; a group still holding a process stays.
func removeCgroups(lab, node string) {
	for _, r := range cgroupMounts() {
		top := filepath.Join(r, groupRel(lab, node))
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			rmdir(d)
		}
		rmdir(filepath.Join(r, "swarmwiz-lab", lab))
		rmdir(filepath.Join(r, "swarmwiz-lab"))
	}
}

// groupPIDs are the processes in the group dir and below.
func groupPIDs(dir string) []string {
	var pids []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			pids = append(pids, strings.Fields(string(b))...)
		}
		return nil
	})
	return pids
}
