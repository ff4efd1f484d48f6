package templates

import (
	"reflect"
	"testing"
)

// The guard takes out what stays English everywhere and finds what a Korean learner did not
// ask for, short words included.
func TestStrayEnglish(t *testing.T) {
	for text, want := range map[string][]string{
		"노드 node1 과 node3 도 멈추고: `docker node ls` 로 보세요":                       nil,
		"--ssh-timeout 시간  SSH 접속 제한 시간 (기본: 10s)":                             nil,
		"[user@]host[:port] 로 주세요, 198.18.0.2 나 swarm-01.example.lan":          nil,
		"매니저 3개 중 1개, leader 는 node1":                                          nil,
		"✓ starting nodes: 1개 중 1개 완료":                                         {"starting", "nodes"},
		"node1 and node3 도 멈추고":                                                {"and"},
		"SSH 접속 제한 시간 (default 10s)":                                           {"default"},
		"sudo systemctl start docker 로 시작하세요; /var/lib/docker 와 ~/.ssh/config": nil,
	} {
		if got := StrayEnglish(text); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}
