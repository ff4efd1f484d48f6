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
swarm={"NodeID":"","LocalNodeState":"inactive","ControlAvailable":false}
addr=lo 127.0.0.1/8
addr=eth0 10.0.2.15/24
addr=eth1 192.168.56.11/24
addr=docker0 172.17.0.1/16
addr=docker_gwbridge 172.18.0.1/16
`)
	if err != nil {
		t.Fatal(err)
	}
	if f.Hostname != "node1" || f.OSID != "centos" || !f.DockerAnswers() || f.Swarm.LocalNodeState != "inactive" {
		t.Fatalf("%+v", f)
	}
	c := f.AdvertiseCandidates()
	if len(c) != 2 || c[0].IP != "10.0.2.15" || c[1].Iface != "eth1" {
		t.Errorf("candidates %+v", c)
	}
	if !f.HasIP("192.168.56.11") || f.HasIP("10.9.9.9") {
		t.Error("HasIP")
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
addr=lo 127.0.0.1/8
addr=ens192 10.20.30.11/24
addr=docker0 172.17.0.1/16
route=ens192 10.20.30.0/24
route=ens192 10.8.0.0/16
route=docker_gwbridge 172.18.0.0/16
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
	if g, _ := Parse("nic_driver=vmxnet3\n"); !g.VMware() {
		t.Error("a vmxnet3 NIC alone is a VMware guest")
	}
	if g, _ := Parse("vendor=QEMU\nnic_driver=virtio_net\n"); g.VMware() {
		t.Error("a QEMU guest is not VMware")
	}
}
