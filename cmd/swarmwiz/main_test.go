package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/failure"
	"github.com/swarmwiz/swarmwiz/wizard"
)

// call runs swarmwiz with args off a terminal, with a stand-in for the flow that records the
// State the flags and plan made, and changes nothing anywhere.
func call(t *testing.T, args ...string) (code int, st *wizard.State, env *wizard.Env, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env = &wizard.Env{Out: &out, Err: &errb, Prompter: &wizard.Scripted{}}
	code = execute(context.Background(), env, args, func(_ context.Context, e *wizard.Env, s *wizard.State, _ []wizard.Step) error {
		st = s
		return nil
	})
	return code, st, env, errb.String()
}

func writePlan(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

const planText = `apiVersion: swarmwiz/v1
advertiseAddr: 10.0.0.11
ssh:
  user: admin
  port: 2222
nodes:
  - host: 10.0.0.11
    role: manager
  - host: 10.0.0.12
    role: worker
`

// A plan file gives the answers; a flag beside it wins over the plan's.
func TestPlanAndFlagsMerge(t *testing.T) {
	f := writePlan(t, planText)
	code, st, _, errOut := call(t, "create", "--config", f, "--ssh-user", "root", "--advertise-addr", "10.0.0.99", "--ssh-timeout", "3s")
	if code != 0 || st == nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if st.SSH.User != "root" || st.Advertise != "10.0.0.99" || st.SSH.Port != 2222 || st.SSH.Timeout != 3*time.Second {
		t.Errorf("flags should win, the plan fill the rest: %+v", st.SSH)
	}
	if len(st.Nodes) != 2 || st.First == nil || st.First.Host != "10.0.0.11" || st.Nodes[1].Role != wizard.Worker || st.Managers != 1 {
		t.Errorf("nodes from the plan: %+v", st.Nodes)
	}
}

// --manager and --worker give the roles; the first manager is where init runs.
func TestRolesFromFlags(t *testing.T) {
	code, st, _, errOut := call(t, "create", "--manager", "10.0.0.1", "--manager", "admin@10.0.0.2:2200", "--worker", "10.0.0.3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if st.First.Host != "10.0.0.1" || st.Managers != 2 || st.Nodes[1].User != "admin" || st.Nodes[1].Port != 2200 || st.Nodes[2].Role != wizard.Worker {
		t.Errorf("roles: first %+v, managers %d, nodes %+v %+v", st.First, st.Managers, st.Nodes[1], st.Nodes[2])
	}
}

// Bad input: exit 2, one line on stderr that names the flag and says what is accepted, and
// the flow never starts.
// bigPlan is a valid plan padded past the size a plan may have.
func bigPlan(t *testing.T) string {
	return writePlan(t, planText+strings.Repeat("# padding\n", 120000))
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	f := writePlan(t, planText)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "--ssh-timeout", "-1s"}, "--ssh-timeout"},
		// Bad input named in the words of where it came from: a flag, or a plan's key.
		{[]string{"status", "--lab", ""}, `--lab "": give a practice lab's name`},
		{[]string{"status", "--lab", "qa/../../etc"}, `--lab "qa/../../etc": give a practice lab's name`},
		{[]string{"leave", "--yes", "--", ""}, `"" is not a node's hostname`},
		{[]string{"create", "--config", bigPlan(t)}, "is larger than a plan can be (1024 KiB at most)"},
		{[]string{"create", "--config", writePlan(t, planText+"init:\n  certExpiry: 99999999999h\n")}, `:12: init.certExpiry "99999999999h": give a duration`},
		{[]string{"create", "--config", writePlan(t, strings.Replace(planText, "port: 2222", "port: 99999999999999999999", 1))}, "ssh.port: give a port from 1 to 65535"},
		{[]string{"create", "--ssh-timeout", "abc"}, `--ssh-timeout "abc": give a duration with its unit, like 10s`},
		{[]string{"create", "--ssh-timeout", "-1"}, `--ssh-timeout "-1": give a duration`},
		{[]string{"create", "--managers", "abc"}, `--managers "abc": give a whole number`},
		{[]string{"create", "--managers", "0", "--lab", "lab"}, "--managers 0: give how many managers"},
		{[]string{"create", "--managers", "2", "--manager", "10.0.0.1", "--worker", "10.0.0.2"}, "next to --manager/--worker"},
		{[]string{"create", "--ssh-port", "0"}, "--ssh-port 0: give a port from 1 to 65535"},
		{[]string{"create", "--host", ""}, "--host '': give a node"},
		{[]string{"create", "--host", "10.0.0.1", "--host", " "}, "--host '': give a node"},
		{[]string{"create", "--config", writePlan(t, strings.Replace(planText, "port: 2222", "port: 0", 1))}, "ssh.port 0: give a port from 1 to 65535"},
		{[]string{"create", "--ssh-port", "70000"}, "from 1 to 65535"},
		{[]string{"create", "--parallel", "0"}, "--parallel"},
		{[]string{"status", "--output", "xml"}, "the only format is json"},
		{[]string{"create", "--lab", "lab", "--host", "10.0.0.1"}, "nodes are given twice"},
		{[]string{"create", "--config", f, "--host", "10.0.0.1"}, "nodes are given twice"},
		{[]string{"create", "--host", "10.0.0.1", "--host", "10.0.0.1"}, "listed twice"},
		{[]string{"create", "--host", "-oProxyCommand=x"}, "is not a host"},
		{[]string{"create", "--host", "a;b"}, "is not a host"},
		{[]string{"create", "stray"}, `"stray" is not a flag`},
		{[]string{"status", "node1"}, `"node1" is not a flag`},
		{[]string{"create", "--no-such-flag"}, "--no-such-flag is not a flag of swarmwiz create"},
		{[]string{"status", "-Z"}, "-Z is not a flag of swarmwiz status"},
		{[]string{"create", "--managers"}, "--managers needs a value after it"},
		{[]string{"status", "---x"}, "---x is not a flag: a flag is written --name VALUE"},
		{[]string{"lab", "up", "--name", "zz", "--host-daemons", "maybe"}, "give stop or keep"},
		{[]string{"lab", "check", "--host-daemons", "maybe"}, "give stop or keep"},
	} {
		code, st, _, errOut := call(t, c.args...)
		if code != failure.ExitUsage || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, errOut, c.want)
		}
		if st != nil {
			t.Errorf("%v: the flow ran on bad input", c.args)
		}
	}
}

// --output json sends the result to stdout and everything else to stderr.
func TestOutputJSONSplitsStreams(t *testing.T) {
	code, _, env, _ := call(t, "status", "--lab", "lab", "--output", "json")
	if code != 0 || env.JSON == nil || env.Out == env.JSON {
		t.Errorf("exit %d: JSON %v, Out %v", code, env.JSON, env.Out)
	}
}

// Every command takes the common output flags the same way: -q on status too.
func TestStatusTakesQuiet(t *testing.T) {
	if code, st, env, errOut := call(t, "status", "-q", "--lab", "lab"); code != 0 || st == nil || !env.Quiet {
		t.Errorf("status -q: exit %d %s", code, errOut)
	}
}

// The init options are checked before anything runs: a bad value is one line naming the
// flag and what would be accepted, exit 2; good ones reach the State.
func TestInitOptionsFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-path-port", "80"}, "--data-path-port 80: give a UDP port from 1024 to 49151"},
		{[]string{"--default-addr-pool", "10.300.0.0/16"}, `--default-addr-pool "10.300.0.0/16": give an IPv4 network in CIDR form`},
		{[]string{"--default-addr-pool", "10.200.0.1/16"}, `--default-addr-pool "10.200.0.1/16"`},
		{[]string{"--default-addr-pool", "10.200.0.0/16", "--default-addr-pool-mask-length", "12"}, "--default-addr-pool-mask-length 12: give a prefix length from 16"},
		{[]string{"--manager-availability", "pause"}, `--manager-availability "pause": give active or drain`},
		{[]string{"--cert-expiry", "30m"}, `--cert-expiry "30m0s": give a duration of at least 1h`},
		{[]string{"--cert-expiry", "0"}, `--cert-expiry`},
		{[]string{"--unlock-key-file", "/tmp/k"}, "there is a key only with --autolock"},
	} {
		code, _, _, errOut := call(t, append([]string{"create", "--lab", "lab"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line with %q", c.args, code, errOut, c.want)
		}
	}
	code, st, _, errOut := call(t, "create", "--lab", "lab", "--default-addr-pool", "10.200.0.0/16", "--data-path-port", "5789",
		"--manager-availability", "drain", "--autolock", "--unlock-key-file", "/tmp/k", "--cert-expiry", "720h")
	if code != 0 || st == nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if o := st.Init; len(o.Pools) != 1 || o.DataPathPort != 5789 || o.Availability != "drain" || !o.Autolock || o.CertExpiry != 720*time.Hour || !st.PoolGiven || st.UnlockKeyFile != "/tmp/k" {
		t.Errorf("the options did not reach the State: %+v", st.Init)
	}
	// The plan's init section, and a flag over it.
	f := writePlan(t, planText+"init:\n  dataPathPort: 5789\n  autolock: true\n  certExpiry: 48h\n")
	code, st, _, errOut = call(t, "create", "--config", f, "--data-path-port", "6789")
	if code != 0 || st.Init.DataPathPort != 6789 || !st.Init.Autolock || st.Init.CertExpiry != 48*time.Hour {
		t.Errorf("plan init: exit %d %s %+v", code, errOut, st.Init)
	}
	f = writePlan(t, planText+"init:\n  autolock: true\n  dataPathPort: 80\n")
	if code, _, _, errOut := call(t, "create", "--config", f); code != 2 || !strings.Contains(errOut, ":13: init.dataPathPort 80: give a UDP port") {
		t.Errorf("a bad dataPathPort in the plan: exit %d %q, want its line (13) and the plan's key", code, errOut)
	}
}

// An instructor's plan carries the classroom; a flag beside it wins; a classroom without a
// name is refused before anything runs, naming the flag.
func TestClassroomFromPlanAndFlags(t *testing.T) {
	f := writePlan(t, planText+"classroom:\n  url: http://127.0.0.1:1\n  code: ABC234\n  name: from-plan\n")
	code, st, env, errOut := call(t, "create", "--config", f, "--name", "Minji")
	if code != 0 || st == nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if env.ClassroomURL != "http://127.0.0.1:1" || env.ClassroomCode != "ABC234" || env.Learner != "Minji" {
		t.Errorf("classroom: %q %q %q", env.ClassroomURL, env.ClassroomCode, env.Learner)
	}
	code, st, _, errOut = call(t, "status", "--host", "10.0.0.11", "--classroom", "http://127.0.0.1:1", "--classroom-code", "X")
	if code != 2 || st != nil || !strings.Contains(errOut, "--classroom needs --name") {
		t.Errorf("want exit 2 naming --name, nothing run: exit %d %s", code, errOut)
	}
}

// A classroom's join code is at least 6 characters.
func TestShortClassroomCodeRefused(t *testing.T) {
	if code, _, _, errOut := call(t, "classroom", "serve", "--listen", "127.0.0.1:0", "--code", "AB12"); code != 2 || !strings.Contains(errOut, "at least 6") {
		t.Errorf("exit %d %q", code, errOut)
	}
}
