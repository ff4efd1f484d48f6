package preflight

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Before a swarm exists nothing answers on its UDP ports, so a UDP probe needs a listener on
// the node probed: UDPListenScript runs one (perl or python, for a few seconds), every other
// node sends to it (UDPSendScript, bash alone), and what the listener heard says which ways
// are open. A datagram dropped by a firewall is simply never heard.

// UDPListenScript listens on ports for at most seconds and prints each sender.
func UDPListenScript(seconds int, ports []int) string {
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = strconv.Itoa(p)
	}
	return templates.MustRender("udp-listen.sh.tmpl", map[string]any{"Seconds": strconv.Itoa(seconds), "Ports": list, "PortList": strings.Join(list, ", ")})
}

// UDPSendScript sends a few datagrams to every target on every port; onCue: only once a
// line arrives on its stdin (the listeners are ready), so that it can be started while they
// start, and nothing at all if its stdin ends first.
func UDPSendScript(targets []string, ports []int, onCue bool) string {
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = strconv.Itoa(p)
	}
	return templates.MustRender("udp-send.sh.tmpl", map[string]any{"Targets": targets, "PortList": strings.Join(list, " "), "OnCue": onCue})
}

// UDPTried is what a sender said: for each target and port, whether its datagrams left
// (true) or this node refused to send them (false). A way missing from it was never tried
// (the sender did not run, or has no bash): nothing about it can be said.
type UDPTried map[string]map[int]bool

// ParseUDPSend reads a sender's output.
func ParseUDPSend(out string) UDPTried {
	t := UDPTried{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || (f[0] != "sent" && f[0] != "refused") {
			continue
		}
		p, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		if t[f[1]] == nil {
			t[f[1]] = map[int]bool{}
		}
		t[f[1]][p] = f[0] == "sent"
	}
	return t
}

// UDPHeard is what a listener said: the ports it listened on, those already taken, and who
// was heard on each port; NoListener: the node has neither perl nor python.
type UDPHeard struct {
	Listening  []int
	Busy       []int
	From       map[int][]string // port → senders' addresses
	Ready      bool
	NoListener bool
}

// ParseUDPListen reads a listener's output, line by line as it came.
func ParseUDPListen(out string) UDPHeard {
	h := UDPHeard{From: map[int][]string{}}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == "ready":
			h.Ready = true
		case len(f) == 1 && f[0] == "nolistener":
			h.NoListener = true
		case len(f) == 2 && (f[0] == "listening" || f[0] == "busy"):
			if p, err := strconv.Atoi(f[1]); err == nil {
				if f[0] == "busy" {
					h.Busy = append(h.Busy, p)
				} else {
					h.Listening = append(h.Listening, p)
				}
			}
		case len(f) == 3 && f[0] == "from":
			if p, err := strconv.Atoi(f[2]); err == nil {
				h.From[p] = append(h.From[p], f[1])
			}
		}
	}
	return h
}

// UDPHoldersScript lists the programs holding UDP ports (ss -ulpn).
func UDPHoldersScript() string { return templates.MustRender("udp-holders.sh.tmpl", nil) }

var ssUser = regexp.MustCompile(`users:\(\("([^"]+)"`)

// UDPHolder reads UDPHoldersScript's output: the program holding port, "" when ss named none
// (the kernel's own, a VXLAN device; or ss without the right to see it).
func UDPHolder(out string, port int) string {
	suffix := ":" + strconv.Itoa(port)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[3], suffix) {
			continue
		}
		if m := ssUser.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}
