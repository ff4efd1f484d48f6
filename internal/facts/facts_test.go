package facts

import "testing"

func TestParseAndCandidates(t *testing.T) {
	f := Parse(`hostname=node1
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
	if g := Parse("hostname=x\ndocker=\n"); g.DockerAnswers() || g.DockerInstalled {
		t.Errorf("a node without docker: %+v", g)
	}
}
