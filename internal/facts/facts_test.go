package facts

import (
	"strings"
	"testing"
)

func TestParseAndCandidates(t *testing.T) {
	f, err := Parse(`hostname=node1
os=CentOS Linux 7 (Core)
os_id=centos
os_version=7
docker_installed=yes
docker=20.10.24
docker_root=/srv/docker
swarm={"NodeID":"","LocalNodeState":"inactive","ControlAvailable":false}
#ip
1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\       valid_lft 86000sec preferred_lft 86000sec
3: eth1    inet 192.168.56.11/24 brd 192.168.56.255 scope global eth1\       valid_lft forever preferred_lft forever
4: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\       valid_lft forever preferred_lft forever
5: docker_gwbridge    inet 172.18.0.1/16 brd 172.18.255.255 scope global docker_gwbridge\       valid_lft forever preferred_lft forever
#end
#iptables
-P INPUT DROP
-A INPUT -i lo -j ACCEPT
#end
`)
	if err != nil {
		t.Fatal(err)
	}
	if f.Hostname != "node1" || f.OSID != "centos" || !f.DockerAnswers() || f.Swarm.LocalNodeState != "inactive" || f.DockerRoot != "/srv/docker" {
		t.Fatalf("%+v", f)
	}
	c := f.AdvertiseCandidates()
	if len(c) != 2 || c[0].IP != "10.0.2.15" || c[1].Iface != "eth1" {
		t.Errorf("candidates %+v", c)
	}
	if !f.HasIP("192.168.56.11") || f.HasIP("10.9.9.9") {
		t.Error("HasIP")
	}
	if f.IptablesInput != "-P INPUT DROP" {
		t.Errorf("iptables policy %q", f.IptablesInput)
	}
	if g, _ := Parse("hostname=x\ndocker=\n"); g.DockerAnswers() || g.DockerInstalled {
		t.Errorf("a node without docker: %+v", g)
	}
}

// A node that reports a swarm address that is not an IP address is refused: that address
// would otherwise reach other nodes' shell commands (the port probe) on a re-run.
func TestParseRefusesAddressThatIsNotAnIP(t *testing.T) {
	for _, swarm := range []string{
		`{"NodeID":"x","NodeAddr":"10.0.0.1; touch /tmp/x","LocalNodeState":"active","ControlAvailable":true}`,
		`{"NodeID":"x","NodeAddr":"10.0.0.1","LocalNodeState":"active","RemoteManagers":[{"NodeID":"y","Addr":"$(reboot):2377"}]}`,
	} {
		f, err := Parse("hostname=node1\ndocker=20.10.24\nswarm=" + swarm + "\n")
		if err == nil || !strings.Contains(err.Error(), "not an IP address") {
			t.Errorf("%s: got %v, want a refusal naming the address", swarm, err)
		}
		if f.Swarm.NodeAddr != "" {
			t.Errorf("the bad address was kept: %+v", f.Swarm)
		}
	}
	if _, err := Parse("hostname=node1\ndocker=20.10.24\nswarm=" +
		`{"NodeID":"x","NodeAddr":"10.0.0.1","LocalNodeState":"active","RemoteManagers":[{"NodeID":"y","Addr":"10.0.0.1:2377"}]}` + "\n"); err != nil {
		t.Errorf("a good address refused: %v", err)
	}
}

// The networks a node is on and routes to (docker's own bridges left out), and the signs of a
// VMware guest: the DMI vendor or a vmxnet3 NIC.
func TestNetworksAndVMware(t *testing.T) {
	f, err := Parse(`hostname=node1
#ip
1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever preferred_lft forever
2: ens192    inet 10.20.30.11/24 brd 10.20.30.255 scope global ens192\       valid_lft forever preferred_lft forever
3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\       valid_lft forever preferred_lft forever
default via 10.20.30.1 dev ens192 proto static
10.20.30.0/24 dev ens192 proto kernel scope link src 10.20.30.11
10.8.0.0/16 via 10.20.30.254 dev ens192
unreachable 198.18.0.0/15
172.18.0.0/16 dev docker_gwbridge proto kernel scope link src 172.18.0.1 linkdown
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\    link/ether 00:50:56:aa:bb:cc brd ff:ff:ff:ff:ff:ff
9: veth1a2b@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master docker_gwbridge state UP
#end
vendor=VMware, Inc.
nic_driver=vmxnet3
`)
	if err != nil {
		t.Fatal(err)
	}
	var nets []string
	for _, r := range f.Networks() {
		nets = append(nets, r.Iface+" "+r.Net.String())
	}
	if strings.Join(nets, ", ") != "ens192 10.20.30.0/24, ens192 10.8.0.0/16" {
		t.Errorf("networks: %v", nets)
	}
	if !f.VMware() {
		t.Error("a VMware guest not recognised")
	}
	if f.MTU["ens192"] != 1500 || f.MTU["veth1a2b"] != 1450 || len(f.Addrs) != 3 {
		t.Errorf("MTUs %v, addresses %v", f.MTU, f.Addrs)
	}
	if g, _ := Parse("nic_driver=vmxnet3\n"); !g.VMware() {
		t.Error("a vmxnet3 NIC alone is a VMware guest")
	}
	if g, _ := Parse("vendor=QEMU\nnic_driver=virtio_net\n"); g.VMware() {
		t.Error("a QEMU guest is not VMware")
	}
}

// How a node would send a packet, from its own routing table.
func TestWayTo(t *testing.T) {
	f, err := Parse("hostname=node2\n#ip\n2: eth0    inet 10.0.0.12/24 brd 10.0.0.255 scope global eth0\\ valid_lft forever\n" +
		"10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.12\n172.20.0.0/16 via 10.0.0.1 dev eth0\n#end\n")
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{"10.0.0.11": WayLink, "172.20.5.5": WayRoute, "192.168.9.9": WayNone, "nonsense": WayNone} {
		if got := f.WayTo(ip); got != want {
			t.Errorf("no default route, %s: %s, want %s", ip, got, want)
		}
	}
	g, _ := Parse("hostname=node2\n#ip\n2: eth0    inet 10.0.0.12/24 brd 10.0.0.255 scope global eth0\\ valid_lft forever\ndefault via 10.0.0.1 dev eth0\n#end\n")
	if g.Gateway != "10.0.0.1" || g.WayTo("192.168.9.9") != WayGateway || g.WayTo("10.0.0.7") != WayLink {
		t.Errorf("with a default route: gateway %q, %s, %s", g.Gateway, g.WayTo("192.168.9.9"), g.WayTo("10.0.0.7"))
	}
}

// nftables' own input chain that drops is found; iptables' INPUT (its nf_tables backend) is
// iptables' own.
func TestNftInput(t *testing.T) {
	f, err := Parse("hostname=n\n#nft\ntable ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n\tchain DOCKER {\n\t}\n}\n" +
		"table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n#end\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.NftInput) != 2 || !f.NftInput[0].Iptables() {
		t.Fatalf("%+v", f.NftInput)
	}
	c, ok := f.NftDrop()
	if !ok || c != (NftChain{"inet", "filter", "input", "drop"}) {
		t.Errorf("NftDrop: %+v %v", c, ok)
	}
	g, _ := Parse("hostname=n\n#nft\ntable ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n#end\n")
	if _, ok := g.NftDrop(); ok {
		t.Errorf("iptables' own INPUT is not nftables': %+v", g.NftInput)
	}
}
