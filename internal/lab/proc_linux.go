//go:build linux

package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/poll"
	"github.com/swarmwiz/swarmwiz/templates"
)

// The lab's own processes are known by more than their number: a pid file holds the pid and
// the process's start time (field 22 of /proc/PID/stat, clock ticks since boot). After a
// reboot or a crash the number may belong to a stranger; one whose start time differs is
// treated as gone and never signalled. The signal goes through a pidfd (os.FindProcess on
// Linux), re-checked after it is held, so the number cannot change hands in between.

// detached makes a child the leader of a session of its own, so it outlives swarmwiz.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// lockFile holds an exclusive lock on f until it is closed.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// rmdir removes an empty directory (a cgroup), ignoring failure.
func rmdir(p string) { _ = syscall.Rmdir(p) }

// procStart is pid's start time, or 0 when no such process runs (a zombie has stopped).
func procStart(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces: read after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" { // field 3 is the state; field 22 the 20th after the name
		return 0
	}
	t, _ := strconv.ParseUint(f[19], 10, 64)
	return t
}

// writePIDFile records pid and its start time in path (0600).
func writePIDFile(path string, pid int) error {
	return os.WriteFile(path, fmt.Appendf(nil, "%d %d\n", pid, procStart(pid)), 0o600)
}

// livePID is the pid recorded in path when that very process still runs: same number and same
// start time. A file without a start time (written by an older swarmwiz) proves nothing: 0.
func livePID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 || start == 0 || procStart(pid) != start {
		return 0
	}
	return pid
}

// stopRecorded sends sig to the process recorded in path, if it is still that process, waits
// up to wait for it to go, then kills it outright. A stranger at the same number is left alone.
func stopRecorded(ctx context.Context, path string, sig syscall.Signal, wait time.Duration) {
	pid := livePID(path)
	if pid == 0 {
		return
	}
	p, err := os.FindProcess(pid) // holds a pidfd: the signal reaches this process or none
	if err != nil {
		return
	}
	defer p.Release()
	if livePID(path) != pid { // it went, and the number was taken, before the pidfd was held
		return
	}
	_ = p.Signal(sig)
	_ = poll.Until(ctx, wait, poll.Backoff{First: 20 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2},
		func(context.Context) (bool, error) {
			return p.Signal(syscall.Signal(0)) != nil || livePID(path) != pid, nil
		})
	_ = p.Signal(syscall.SIGKILL)
}

// startInGroup starts cmd detached, born inside the lab's group rel of the cgroup v2 hierarchy
// (clone3 with CLONE_INTO_CGROUP): there is no moment when it runs outside, so a `lab up`
// killed at any point leaves no process `lab down` cannot find. Before Linux 5.7 it is moved
// in right after it starts.
func startInGroup(cmd *exec.Cmd, rel string) error {
	cmd.SysProcAttr = detached()
	root := unifiedRoot()
	if root == "" {
		return cmd.Start()
	}
	dir := filepath.Join(root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	if err := cmd.Start(); err == nil || cmd.Process != nil {
		return err
	}
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cgroup.procs"), fmt.Appendf(nil, "%d", cmd.Process.Pid), 0)
}

// inGroup says whether pid is in the group rel (or below) of the cgroup v2 hierarchy.
func inGroup(pid int, rel string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p == "/"+rel || strings.HasPrefix(p, "/"+rel+"/")
		}
	}
	return false
}

// killGroup kills every process in the lab's group rel and below, and waits up to wait until
// none is left. The kernel does it where it can (cgroup.kill, Linux 5.14); before that each
// process is signalled through a pidfd, after checking, with the pidfd held, that it is in
// the group: a number that changed hands is never signalled.
func killGroup(ctx context.Context, rel string, wait time.Duration) error {
	root := unifiedRoot()
	if root == "" {
		return nil
	}
	dir := filepath.Join(root, rel)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	kill := func() {
		if os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) == nil {
			return
		}
		for _, s := range groupPIDs(dir) {
			pid, err := strconv.Atoi(s)
			if err != nil {
				continue
			}
			p, err := os.FindProcess(pid)
			if err != nil {
				continue
			}
			if inGroup(pid, rel) {
				_ = p.Signal(syscall.SIGKILL)
			}
			p.Release()
		}
	}
	var left []string
	err := poll.Until(ctx, wait, poll.Backoff{First: 10 * time.Millisecond, Max: 200 * time.Millisecond, Factor: 2},
		func(context.Context) (bool, error) {
			if left = groupPIDs(dir); len(left) == 0 {
				return true, nil
			}
			kill()
			return false, nil
		})
	if err != nil {
		return fmt.Errorf("%s", templates.Msg("lab.group.left", map[string]any{"Group": dir, "PIDs": strings.Join(left, " ")}))
	}
	return nil
}
