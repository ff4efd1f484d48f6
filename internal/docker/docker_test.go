package docker

import (
	"strings"
	"testing"
)

func TestMaskToken(t *testing.T) {
	cmd := "docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 10.0.0.1:2377"
	got := MaskToken(cmd)
	if got != "docker swarm join --token SWMTKN-1-**** 10.0.0.1:2377" {
		t.Errorf("got %q", got)
	}
	if MaskToken("no token here") != "no token here" {
		t.Error("changed text without a token")
	}
}

func TestQuorum(t *testing.T) {
	for n, want := range map[int][2]int{1: {1, 0}, 2: {2, 0}, 3: {2, 1}, 4: {3, 1}, 5: {3, 2}, 7: {4, 3}} {
		if Quorum(n) != want[0] || Tolerates(n) != want[1] {
			t.Errorf("%d managers: quorum %d tolerates %d", n, Quorum(n), Tolerates(n))
		}
	}
}

func TestCommandsQuoteValues(t *testing.T) {
	if got := Init("10.0.0.1; rm -rf /", InitOptions{}); !strings.Contains(got, "'10.0.0.1; rm -rf /'") {
		t.Errorf("unquoted value: %s", got)
	}
}

func FuzzNodeRows(f *testing.F) {
	f.Add(`[{"ID":"a","Description":{"Hostname":"n1"},"Status":{"State":"ready"},"ManagerStatus":{"Leader":true}}]`)
	f.Add(`[{"Description":{"Hostname":"n1"}}]`)
	f.Add("ID HOSTNAME\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := nodeRows([]byte(s), "a")
		if err == nil {
			for _, n := range rows {
				if n.ID == "" {
					t.Fatalf("accepted a node without an ID: %q", s)
				}
			}
		}
	})
}

func FuzzParseSwarm(f *testing.F) {
	f.Add(`{"NodeID":"x","LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c"}}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		sw, err := ParseSwarm(s)
		if err == nil && sw.LocalNodeState == "" {
			t.Fatalf("accepted swarm info without a state: %q", s)
		}
	})
}

// Demux splits docker's multiplexed stream into stdout and stderr, frame by frame.
func TestDemux(t *testing.T) {
	frame := func(stream byte, s string) []byte {
		return append([]byte{stream, 0, 0, 0, 0, 0, 0, byte(len(s))}, s...)
	}
	var in []byte
	in = append(in, frame(1, "hello ")...)
	in = append(in, frame(2, "oops")...)
	in = append(in, frame(1, "world")...)
	var out, errb strings.Builder
	if err := Demux(strings.NewReader(string(in)), &out, &errb); err != nil || out.String() != "hello world" || errb.String() != "oops" {
		t.Errorf("got %q %q %v", out.String(), errb.String(), err)
	}
	if err := Demux(strings.NewReader(string(frame(7, "x"))), &out, &errb); err == nil {
		t.Errorf("an unknown stream must be an error")
	}
}
