package lab

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/internal/failure"
)

// The install uses a Docker the machine already has, never installs docker.io over Docker's
// own packages nor stops their service, and refuses what it would break.
func TestInstallRespectsTheHostsDocker(t *testing.T) {
	defer func(i func(string) bool, l func(string) (string, error)) { installed, lookPath = i, l }(installed, lookPath)
	for _, c := range []struct {
		name       string
		pkgs       []string
		dockerd    bool // on PATH
		hostDocker string
		docker     bool // docker.io installed
		dockerUnit bool // docker.service offered to stop
		refused    bool
	}{
		{name: "bare", hostDocker: "", docker: true, dockerUnit: true},
		{name: "docker-ce", pkgs: []string{"docker-ce", "docker-ce-cli", "containerd.io"}, dockerd: true, hostDocker: "docker-ce"},
		{name: "docker.io already", pkgs: []string{"docker.io"}, dockerd: true, hostDocker: "", docker: true},
		{name: "static dockerd", dockerd: true, hostDocker: "/usr/local/bin/dockerd"},
		{name: "containerd.io alone", pkgs: []string{"containerd.io"}, hostDocker: "containerd.io", refused: true},
	} {
		installed = func(p string) bool { return slices.Contains(c.pkgs, p) }
		lookPath = func(string) (string, error) {
			if c.dockerd {
				return "/usr/local/bin/dockerd", nil
			}
			return "", exec.ErrNotFound
		}
		if got := HostDocker(); got != c.hostDocker {
			t.Errorf("%s: HostDocker %q, want %q", c.name, got, c.hostDocker)
		}
		if got := slices.Contains(InstallPackages(), "docker.io"); got != c.docker {
			t.Errorf("%s: docker.io installed %v, want %v", c.name, got, c.docker)
		}
		if got := slices.Contains(HostDaemonUnits(), "docker.service"); got != c.dockerUnit {
			t.Errorf("%s: docker.service offered to stop %v, want %v", c.name, got, c.dockerUnit)
		}
		err := CheckInstall()
		var u *failure.UsageError
		if got := errors.As(err, &u); got != c.refused {
			t.Errorf("%s: refused %v (%v), want %v", c.name, got, err, c.refused)
		}
		script, _ := InstallScript(true, HostDaemonUnits(), InstallPackages())
		_, apt, _ := strings.Cut(script, "apt-get install")
		apt, _, _ = strings.Cut(apt, "\n")
		if got := strings.Contains(apt, "docker.io"); got != c.docker {
			t.Errorf("%s: the script installs docker.io %v, want %v", c.name, got, c.docker)
		}
	}
}
