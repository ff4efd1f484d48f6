//go:build linux

package e2e

import (
	"strings"
	"testing"

	"github.com/swarmwiz/swarmwiz/templates"
)

// korean is the environment of a learner whose machine speaks Korean.
var korean = []string{"LANG=ko_KR.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE="}

// With LANG=ko_KR.UTF-8 the whole seed flow runs in Korean on a real terminal: the first
// manager, its advertise address, an even manager count warned about and refused, 3
// managers, 4 workers, the node table. Nothing on the screen is English of swarmwiz's own
// (docker's output and commands are left as docker prints them).
func TestWizardInKorean(t *testing.T) {
	nodes := sharedLab(t)
	s := startPTY(t, korean)
	s.expect("스웜(swarm)을 이룰 머신은 어디에 있나요?")
	s.send(keyDown, keyEnter)
	if s.expectAny("어느 실습 랩을 쓸까요?", "어느 노드에서 스웜을 시작할까요") == "어느 실습 랩을 쓸까요?" {
		s.send("e", "2", "e", keyEnter)
		s.expect("어느 노드에서 스웜을 시작할까요")
	}
	s.send(keyEnter) // node1
	s.expect("node1 노드가 advertise할 주소는?")
	s.expect("SSH 접속에 쓰는 주소")
	s.send(keyEnter)
	s.expect("매니저를 몇 개로 할까요 (1~7)?")
	s.send("\x7f", "4", keyEnter)
	s.expect("매니저 4개는 3개가 동의해야 하고 장애를 1개까지 견딥니다")
	s.expect("그래도 매니저를 4개로 할까요?")
	s.send("n", keyEnter)
	s.expect("매니저를 몇 개로 할까요 (1~7)?")
	s.send("\x7f", "0", keyEnter)
	s.expect("스웜에는 매니저가 적어도 1개 필요합니다")
	s.send("\x7f", "3", keyEnter)
	s.expect("매니저를 2개 더 고르세요")
	s.send(keyEnter)
	s.expect("매니저도 컨테이너를 실행할까요?")
	s.send(keyEnter)
	s.expect("이 스웜을 지금 만들까요?")
	s.send("y", keyEnter)
	s.expect("이 계획을 파일로 저장해")
	s.send("n", keyEnter)
	s.expect("지금 스웜이 제대로 도는지 증명할까요?")
	s.send("n", keyEnter)
	if code := s.wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, s.text())
	}
	out := s.text()
	for _, want := range []string{
		"노드 7개가 모든 점검을 통과했습니다.",
		"node2 매니저로 조인 완료",
		"워커 조인 중: 4개 중 4개 완료",
		"스웜의 노드 (docker node ls)",
		"매니저 3개: 쿼럼 2, 장애 1개까지 견딤; 3개 응답, 리더 node1.",
		"? 이 스웜을 지금 만들까요? 예",
		"건너뜁니다. 스웜이 제대로 도는지는 언제든 `swarmwiz check` 로 증명할 수 있습니다.",
		"첫 번째 매니저 node1 이(가)",
		`스웜에는 "마스터(master)"가 없습니다`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Korean run lacks %q:\n%s", want, out)
		}
	}
	for _, p := range templates.Phrases("en") {
		if strings.Contains(out, p) {
			t.Errorf("English of swarmwiz's own on the Korean screen: %q", p)
		}
	}
	rows := tableRows(t, out)
	if len(rows) != len(nodes) {
		t.Fatalf("want %d rows in docker's node table, got %d:\n%s", len(nodes), len(rows), out)
	}
	managers := 0
	for _, r := range rows {
		if len(r) > 5 && (r[4] == "Leader" || r[4] == "Reachable") {
			managers++
		}
	}
	if managers != 3 {
		t.Errorf("want 3 managers, got %d:\n%s", managers, out)
	}
}
