package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/templates"
)

// runScript runs one of the lab's host scripts with bash; an error is named by the script's
// first line, the comment that says what it does.
// Call it as runScript(ctx)(NetUpScript(inv)).
func runScript(ctx context.Context) func(script string, err error) error {
	return func(script string, err error) error {
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		if h, ok := ctx.Value(lockKey{}).(heldLock); ok {
			cmd.ExtraFiles = []*os.File{h.file} // see lockLab
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			first, _, _ := strings.Cut(script, "\n")
			return fmt.Errorf("%s: %v: %s", strings.TrimPrefix(first, "# "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

// programs the lab needs on the host, and where a plain PATH lookup may miss them.
var programs = []struct{ name, path string }{
	{"dockerd", ""}, {"sshd", "/usr/sbin/sshd"}, {"ip", ""}, {"iptables", ""},
	{"nsenter", ""}, {"unshare", ""},
	// The lab prints ssh commands for every node, and its tests use them.
	{"ssh", ""}, {"ssh-keygen", ""}, {"sudo", ""},
}

// CheckHost says, in one line, why this machine cannot run a lab, or nil.
func CheckHost() error {
	if err := CheckOS(); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return failure.Usagef("%s", templates.Msg("lab.host.root", nil))
	}
	var missing []string
	for _, p := range programs {
		if _, err := exec.LookPath(p.name); err == nil {
			continue
		}
		if p.path != "" {
			if _, err := os.Stat(p.path); err == nil {
				continue
			}
		}
		missing = append(missing, p.name)
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingError{Programs: missing, Hint: installHint(osFamily())}
}

// CheckOS refuses, as bad input (exit 2), to run the lab anywhere but Linux, saying how to
// practise with machines over SSH instead.
func CheckOS() error {
	if runtime.GOOS != "linux" {
		return failure.Usagef("%s", templates.Msg("lab.host.linux", runtime.GOOS))
	}
	return nil
}

// MissingError is a host that lacks programs the lab needs: bad input (exit 2), and what the
// wizard offers to install. Code branches on the type, never on the sentence, which is in the
// user's language.
type MissingError struct {
	Programs []string
	Hint     string // the command that installs them
}

func (e *MissingError) Error() string {
	return templates.Msg("lab.host.missing", map[string]string{"Missing": strings.Join(e.Programs, ", "), "Hint": e.Hint})
}

// As makes a MissingError a failure.UsageError too (exit 2).
func (e *MissingError) As(target any) bool {
	if u, ok := target.(**failure.UsageError); ok {
		*u = &failure.UsageError{Msg: e.Error()}
		return true
	}
	return false
}

func installHint(family string) string {
	if family == "rhel" {
		return "dnf install docker-ce openssh-server openssh-clients iproute iptables util-linux sudo (yum on CentOS 7; docker-ce from Docker's repository)"
	}
	return "apt-get install docker.io openssh-server openssh-client iproute2 iptables sudo"
}

// osRelease is /etc/os-release as keys and values (quotes taken off): this machine's one
// reader of it. None when it cannot be read.
func osRelease() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k != "" && !strings.HasPrefix(k, "#") {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}

// osFamily is "debian" for Debian and Ubuntu, "rhel" for the CentOS/RHEL family, "" otherwise,
// from os-release's ID and ID_LIKE.
func osFamily() string {
	rel := osRelease()
	ids := rel["ID"] + " " + rel["ID_LIKE"]
	switch {
	case strings.Contains(ids, "debian") || strings.Contains(ids, "ubuntu"):
		return "debian"
	case strings.Contains(ids, "rhel") || strings.Contains(ids, "centos") || strings.Contains(ids, "fedora"):
		return "rhel"
	}
	return ""
}

// HostOS names this machine's OS as `--os` names releases ("debian-12"), from os-release.
func HostOS() string {
	rel := osRelease()
	if len(rel) == 0 {
		return "?"
	}
	return strings.TrimSuffix(rel["ID"]+"-"+rel["VERSION_ID"], "-")
}

// The host as the lab's install finds it: which packages dpkg has installed, and whether a
// dockerd is on PATH from anywhere else (static binaries, a snap). Tests replace them.
var (
	installed = func(pkg string) bool {
		out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg).Output()
		return err == nil && strings.HasPrefix(string(out), "ii")
	}
	lookPath = exec.LookPath
)

// dockersOwn are Docker's own packages (download.docker.com); Debian's docker.io and its
// containerd conflict with them, so installing docker.io over them would remove them.
var dockersOwn = []string{"docker-ce", "docker-ce-cli", "containerd.io", "docker-ee"}

// HostDocker names the Docker this machine already has, which the lab uses as it is: one of
// Docker's own packages, or the path of a dockerd from elsewhere; "" when there is none or it
// is Debian's docker.io.
func HostDocker() string {
	for _, p := range dockersOwn {
		if installed(p) {
			return p
		}
	}
	if installed("docker.io") {
		return ""
	}
	if p, err := lookPath("dockerd"); err == nil {
		return p
	}
	return ""
}

// CheckInstall refuses (exit 2), before anything is installed, what the install would break:
// Docker's containerd.io without a dockerd, which docker.io would replace with Debian's
// containerd.
func CheckInstall() error {
	if installed("containerd.io") {
		if _, err := lookPath("dockerd"); err != nil {
			return failure.Usagef("%s", templates.Msg("lab.install.containerdio", nil))
		}
	}
	return nil
}

// InstallPackages are the packages `lab up --install` installs here: Packages, without
// docker.io where this machine has a Docker of its own.
func InstallPackages() []string {
	if HostDocker() == "" {
		return Packages
	}
	var out []string
	for _, p := range Packages {
		if p != "docker.io" {
			out = append(out, p)
		}
	}
	return out
}

// HostDaemonUnits are the services that installing the lab's packages would start on this
// machine itself: those of docker.io and openssh-server where they are not installed yet.
// What is installed already (a user's own sshd, a Docker of its own) is never touched.
func HostDaemonUnits() []string {
	var units []string
	for _, p := range []struct {
		pkg   string
		units []string
	}{{"docker.io", []string{"docker.service", "docker.socket", "containerd.service"}}, {"openssh-server", []string{"ssh.service", "ssh.socket"}},
		{"apt-cacher-ng", []string{"apt-cacher-ng.service"}}} {
		if p.pkg == "docker.io" && HostDocker() != "" {
			continue
		}
		if !installed(p.pkg) {
			units = append(units, p.units...)
		}
	}
	return units
}

// InstallScript installs packages; with stopHostDaemons, the daemons units would start on
// this machine stay stopped and disabled.
func InstallScript(stopHostDaemons bool, units, packages []string) (string, error) {
	return templates.Render("install-debian.sh.tmpl", struct {
		StopHostDaemons bool
		Units, Packages []string
	}{stopHostDaemons, units, packages})
}

// Packages are what the lab installs on Debian and Ubuntu.
// The last three are for machine nodes: debootstrap makes their images, systemd-nspawn
// boots them, apt-cacher-ng is their apt proxy.
var Packages = []string{"docker.io", "openssh-server", "openssh-client", "iproute2", "iptables", "util-linux", "sudo", "locales",
	"debootstrap", "systemd-container", "apt-cacher-ng"}

// InstallLog is where the package install writes everything apt-get says.
const InstallLog = "/var/log/swarmwiz-lab-install.log"

// ScriptRunner runs a host script, writing all it prints to log.
type ScriptRunner func(ctx context.Context, script string, log io.Writer) error

// BashRunner runs a script with bash on this machine.
func BashRunner(ctx context.Context, script string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

// InstallOptions say how Install runs.
type InstallOptions struct {
	StopHostDaemons bool
	Run             ScriptRunner // BashRunner when nil
	Log             string       // InstallLog when ""
}

// Install installs the lab's prerequisites with apt-get, on Debian and Ubuntu only. What
// apt-get prints goes to the log file, not the screen; on failure the error carries the
// log's last lines.
func Install(ctx context.Context, o InstallOptions) error {
	if osFamily() != "debian" {
		return failure.Usagef("%s", templates.Msg("lab.host.noinstall", installHint(osFamily())))
	}
	if o.Run == nil {
		o.Run = BashRunner
	}
	if o.Log == "" {
		o.Log = InstallLog
	}
	if err := CheckInstall(); err != nil {
		return err
	}
	script, err := InstallScript(o.StopHostDaemons, HostDaemonUnits(), InstallPackages())
	if err != nil {
		return err
	}
	log, err := os.OpenFile(o.Log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	runErr := o.Run(ctx, script, log)
	log.Close()
	if runErr != nil {
		return &InstallError{Log: o.Log, Tail: tail(o.Log, 15), Err: runErr}
	}
	return nil
}

// InstallError is a failed package install: its log, and the log's last lines.
type InstallError struct {
	Log, Tail string
	Err       error
}

func (e *InstallError) Error() string {
	return templates.Msg("lab.install.failed", map[string]string{"Err": e.Err.Error(), "Log": e.Log})
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
