package classroom

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// post sends an event as a well-behaved client does: with the key its name was given.
func post(t *testing.T, url, code string, body []byte) int {
	t.Helper()
	var e Event
	json.Unmarshal(body, &e)
	keysMu.Lock()
	key := keys[url+"\x00"+e.Learner]
	keysMu.Unlock()
	return postAs(t, url, code, key, body)
}

var (
	keysMu sync.Mutex
	keys   = map[string]string{} // server URL and learner name → the key it was given
)

// postAs sends an event with key (none when ""), and keeps the key the server gives.
func postAs(t *testing.T, url, code, key string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/events", bytes.NewReader(body))
	req.Header.Set(CodeHeader, code)
	if key != "" {
		req.Header.Set(LearnerKeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if k := resp.Header.Get(LearnerKeyHeader); k != "" {
		var e Event
		json.Unmarshal(body, &e)
		keysMu.Lock()
		keys[url+"\x00"+e.Learner] = k
		keysMu.Unlock()
	}
	return resp.StatusCode
}

func event(e Event) []byte { b, _ := json.Marshal(e); return b }

func get(t *testing.T, url, lang string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// Events with the code change the room and the page; a wrong code, an oversized or malformed
// event, or too many of them are refused with a 4xx, counted, and change nothing.
func TestServerTakesEventsAndRefusesBadOnes(t *testing.T) {
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if c := post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStart, Command: "create"})); c != http.StatusNoContent {
		t.Fatalf("a good event: %d", c)
	}
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStep, Step: 3, Title: "Join the <b>managers</b>"}))
	page := get(t, srv.URL+"/", "")
	for _, want := range []string{"<html lang=\"en\">", "minji", "create, step 3: Join the &lt;b&gt;managers&lt;/b&gt;", "Working", "1 learner: 0 finished, 0 stuck"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	before := s.Snapshot()
	for _, tc := range []struct {
		code, why string
		body      []byte
		status    int
	}{
		{"WRONG1", "code", event(Event{Learner: "eve", Kind: KindStart}), http.StatusForbidden},
		{"ABC234", "size", event(Event{Learner: "eve", Kind: KindProblem, Text: strings.Repeat("x", MaxEventBytes)}), http.StatusRequestEntityTooLarge},
		{"ABC234", "malformed", []byte(`{"learner":"eve","kind":"start"`), http.StatusBadRequest},
		{"ABC234", "malformed", []byte(`{"learner":"eve","kind":"reboot"}`), http.StatusBadRequest},
		{"ABC234", "malformed", []byte(`{"learner":"","kind":"start"}`), http.StatusBadRequest},
		{"ABC234", "malformed", []byte(`{"learner":"eve","kind":"start","token":"SWMTKN-1-x"}`), http.StatusBadRequest},
	} {
		if c := post(t, srv.URL, tc.code, tc.body); c != tc.status {
			t.Errorf("%s: status %d, want %d", tc.why, c, tc.status)
		}
	}
	after := s.Snapshot()
	if len(after.Learners) != 1 || after.Learners["minji"].Title != before.Learners["minji"].Title {
		t.Errorf("refused events changed the room: %+v", after.Learners)
	}
	if after.Rejected["code"] != 1 || after.Rejected["size"] != 1 || after.Rejected["malformed"] != 4 {
		t.Errorf("refusals not counted: %v", after.Rejected)
	}
	// A flood from one learner is cut at the burst.
	limited := 0
	for i := 0; i < Burst+20; i++ {
		if post(t, srv.URL, "ABC234", event(Event{Learner: "flood", Kind: KindStep, Step: 1, Title: "x"})) == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 || s.Snapshot().Rejected["rate"] != limited {
		t.Errorf("a flood of %d events: %d refused, counted %d", Burst+20, limited, s.Snapshot().Rejected["rate"])
	}
	if ko := get(t, srv.URL+"/", "ko-KR,ko;q=0.9,en;q=0.8"); !strings.Contains(ko, `<html lang="ko">`) || !strings.Contains(ko, "swarmwiz 교실") || !strings.Contains(ko, "진행 중") {
		t.Errorf("a Korean browser does not get the Korean page:\n%s", ko)
	}
}

// The page's stream sends the room at once and again when an event arrives.
func TestEventsStreamTheRoom(t *testing.T) {
	s, _ := NewServer("C0DE", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	next := func() string {
		var b strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\n" {
				return b.String()
			}
			b.WriteString(line)
		}
	}
	if first := next(); !strings.Contains(first, "event: room") || !strings.Contains(first, "No learner has joined yet.") {
		t.Errorf("first message: %q", first)
	}
	post(t, srv.URL, "C0DE", event(Event{Learner: "jun", Kind: KindStart, Command: "create"}))
	if second := next(); !strings.Contains(second, "jun") {
		t.Errorf("the stream did not send the new learner: %q", second)
	}
}

// A learner's state: working, stuck on an error, finished after a re-run, stuck for time.
func TestLearnerStates(t *testing.T) {
	r := NewRoom()
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	apply := func(s int, e Event) { e.Learner = "a"; r.Apply(e, t0.Add(time.Duration(s)*time.Second)) }
	state := func(s int) State { return r.Learners["a"].State(t0.Add(time.Duration(s)*time.Second), time.Minute) }
	apply(0, Event{Kind: KindStart, Command: "create"})
	apply(1, Event{Kind: KindStep, Step: 1, Title: "Check before any change"})
	if st := state(30); st != Working {
		t.Errorf("30 s into a step: %s", st)
	}
	if st := state(120); st != Stuck {
		t.Errorf("2 minutes on one step (threshold 1m): %s", st)
	}
	apply(3, Event{Kind: KindProblem, Node: "node2", Text: "2377/tcp blocked", Fix: "let 2377/tcp in"})
	apply(3, Event{Kind: KindEnd, Error: "preflight found 1 problem"})
	if st := state(4); st != Stuck || r.Errors["preflight found 1 problem"] != 1 {
		t.Errorf("after an error: %s %v", st, r.Errors)
	}
	apply(10, Event{Kind: KindStart, Command: "create"})
	if l := r.Learners["a"]; l.Error != "" || len(l.Problems) != 0 || state(11) != Working {
		t.Errorf("a re-run keeps the last run's error: %+v", l)
	}
	apply(11, Event{Kind: KindStep, Step: 1, Title: "Check before any change"})
	apply(12, Event{Kind: KindNodes, Nodes: []NodeRow{{"n1", "Ready", "Active", "Leader"}, {"n2", "Ready", "Active", "Reachable"}, {"n3", "Down", "Active", "Unreachable"}}})
	apply(13, Event{Kind: KindEnd, OK: true})
	if st := state(500); st != Finished {
		t.Errorf("after a good create: %s", st)
	}
	h := r.Learners["a"].Health()
	if h != (Health{Nodes: 3, Managers: 3, Reachable: 2, Leader: "n1", Quorum: true}) {
		t.Errorf("health: %+v", h)
	}
	if got := r.Learners["a"].Steps; len(got) != 2 || got[0].Seconds != 2 || got[1].Seconds != 2 {
		t.Errorf("step times: %+v", got)
	}
}

// The room survives a restart of the server (kept 0600), and exports as CSV and Markdown.
func TestStateFileAndExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "room.json")
	s, err := NewServer("K", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	for _, e := range []Event{{Learner: "b", Kind: KindStart, Command: "create"}, {Learner: "b", Kind: KindStep, Step: 1, Title: "Connect"}, {Learner: "b", Kind: KindEnd, OK: true}} {
		post(t, srv.URL, "K", event(e))
	}
	post(t, srv.URL, "nope", event(Event{Learner: "b", Kind: KindStart}))
	srv.Close()
	s.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	again, err := NewServer("K", path)
	if err != nil {
		t.Fatal(err)
	}
	r := again.Snapshot()
	if l := r.Learners["b"]; l == nil || !l.Finished || len(l.Steps) != 1 || r.Rejected["code"] != 1 {
		t.Fatalf("after a restart: %+v", r)
	}
	files, err := Export(r, filepath.Join(dir, "out"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(strings.NewReader(string(must(os.ReadFile(files[0]))))).ReadAll()
	if len(rows) != 2 || rows[1][0] != "b" || rows[1][1] != "finished" {
		t.Errorf("classroom.csv: %v", rows)
	}
	steps, _ := csv.NewReader(strings.NewReader(string(must(os.ReadFile(files[1]))))).ReadAll()
	if len(steps) != 2 || steps[1][0] != "Connect" || steps[1][1] != "1" {
		t.Errorf("classroom-steps.csv: %v", steps)
	}
	if md := string(must(os.ReadFile(files[2]))); !strings.Contains(md, "1 of 1 learners finished.") || !strings.Contains(md, "Events refused: 1") {
		t.Errorf("classroom.md:\n%s", md)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A classroom where nothing listens, and one that accepts and never answers: sending never
// blocks, the end of the run waits at most FlushWait, and the learner is told exactly once.
func TestClientNeverHoldsUpTheRun(t *testing.T) {
	hang, _ := net.Listen("tcp", "127.0.0.1:0")
	defer hang.Close()
	var held []net.Conn
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never answered
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + closed.Addr().String()
	closed.Close()
	for name, url := range map[string]string{"nothing listens": deadURL, "hangs": "http://" + hang.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var notices []string
			c := NewClient(url, "X", "learner", "", nil, func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() })
			t0 := time.Now()
			for i := 0; i < 3*QueueSize; i++ {
				c.Step(i%1000, "a step")
			}
			// A sender that waited would wait PostTimeout (2 s) on the hanging classroom for its
			// first event alone: half of that is a bound no busy machine reaches by queueing.
			if d := time.Since(t0); d > PostTimeout/2 {
				t.Errorf("queueing %d events took %v: sending must not wait for the classroom", 3*QueueSize, d)
			}
			time.Sleep(50 * time.Millisecond)
			c.End(nil)
			t1 := time.Now()
			c.Close()
			if d := time.Since(t1); d > FlushWait+200*time.Millisecond {
				t.Errorf("the end of the run waited %v for the classroom (at most %v)", d, FlushWait)
			}
			c.Step(1, "after close") // no panic, nothing sent
			mu.Lock()
			defer mu.Unlock()
			if len(notices) != 1 || !strings.Contains(notices[0], url) {
				t.Errorf("want one notice naming %s, got %q", url, notices)
			}
		})
	}
}

// Secrets never reach the classroom: every text goes through the run's mask.
func TestClientMasksTexts(t *testing.T) {
	got := make(chan Event, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := Decode(r.Body)
		if err != nil {
			t.Error(err)
		}
		got <- e
	}))
	defer srv.Close()
	mask := func(s string) string { return strings.ReplaceAll(s, "SWMTKN-1-secret", "SWMTKN-1-****") }
	c := NewClient(srv.URL, "X", "l", "", mask, nil)
	c.Problem("node2", "cannot read /home/minji/.ssh/id_ed25519: permission denied", "chmod 600 ~/work/cluster.pem; see /etc/docker/daemon.json")
	c.End(&testErr{"join failed: docker swarm join --token SWMTKN-1-secret"})
	c.Close()
	if e := <-got; e.Text != "cannot read [a key file]: permission denied" || e.Fix != "chmod 600 [a key file]; see /etc/docker/daemon.json" {
		t.Errorf("key paths reach the classroom: %+v", e)
	}
	if e := <-got; strings.Contains(e.Error, "secret") || e.Learner != "l" || e.Kind != KindEnd {
		t.Errorf("sent %+v", e)
	}
}

type testErr struct{ s string }

func (e *testErr) Error() string { return e.s }

// Whatever arrives, Decode either refuses it or returns an event that the room can take and
// that survives a round trip; it never panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"learner":"a","kind":"start","command":"create"}`))
	f.Add([]byte(`{"learner":"a","kind":"nodes","nodes":[{"hostname":"n1","status":"Ready","availability":"Active","manager":"Leader"}]}`))
	f.Add([]byte(`{"learner":"a","kind":"check","working":3,"total":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"learner":"a","kind":"end","error":"\xff"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		r := NewRoom()
		r.Apply(e, time.Now())
		NewView(r, time.Now(), time.Minute)
		again, err := Decode(bytes.NewReader(event(e)))
		if err != nil || again.Learner != e.Learner || again.Kind != e.Kind {
			t.Errorf("round trip of %q: %+v %v", b, again, err)
		}
	})
}

// A run's last error of several lines reaches the page as one line whose sentences stay apart.
func TestEndErrorOnOneLine(t *testing.T) {
	got := oneLine("Connecting to every node: node5: dial tcp 10.0.0.5:22: connect: no route to host\nfix them and run again, or leave them out\n")
	if got != "Connecting to every node: node5: dial tcp 10.0.0.5:22: connect: no route to host; fix them and run again, or leave them out" {
		t.Errorf("got %q", got)
	}
}

// No field a learner sends can end a server-sent event's line early: CR, LF and CRLF each
// start a data line of their own; U+2028, NUL and invalid UTF-8 stay inside one.
func TestEventFramingHoldsAnyText(t *testing.T) {
	for _, text := range []string{"x\revent: nope", "a\nevent: nope", "a\r\nevent: nope\r\rdata: x", "a\u2028b", "a\x00b", "a\xffb", "\r"} {
		var b strings.Builder
		writeEvent(&b, "room", text)
		out := b.String()
		if !strings.HasPrefix(out, "event: room\n") || !strings.HasSuffix(out, "\n\n") {
			t.Errorf("%q: not one event: %q", text, out)
		}
		// Split as a browser does: on CR, LF or CRLF.
		for _, line := range strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(strings.TrimSuffix(out, "\n\n")), "\n") {
			if !strings.HasPrefix(line, "data: ") && line != "event: room" {
				t.Errorf("%q: a line that is not data: %q in %q", text, line, out)
			}
		}
	}
}

// Join tokens and unlock keys are masked by the client whatever --show-tokens says, and by
// the server on receipt; the export escapes cells a spreadsheet would run as formulas.
func TestSecretsMaskedAndCSVInert(t *testing.T) {
	e := MaskSecrets(Event{Learner: "minji", Kind: KindEnd, Error: "docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 10.0.0.1:2377",
		Problems: []string{"unlock with SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8"}})
	if strings.Contains(e.Error, "3pu6") || !strings.Contains(e.Error, "SWMTKN-1-****") || strings.Contains(e.Problems[0], "7c37") {
		t.Errorf("secrets not masked: %+v", e)
	}
	got := inert([][]string{{"=HYPERLINK(\"x\")", "+1", "-cmd", "@SUM(A1)", "node1", ""}})
	if want := []string{"'=HYPERLINK(\"x\")", "'+1", "'-cmd", "'@SUM(A1)", "node1", ""}; strings.Join(got[0], "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got[0])
	}
}

// The server masks a token it is sent by a client that did not (an older one, or a hand-made
// request): not on the page, not in the room's JSON.
func TestServerMasksTokensOnReceipt(t *testing.T) {
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	token := "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx"
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStart, Command: "create"}))
	if c := post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindEnd, Error: "docker swarm join --token " + token + " 10.0.0.1:2377 failed"})); c != http.StatusNoContent {
		t.Fatalf("end event: %d", c)
	}
	for _, body := range []string{get(t, srv.URL+"/", ""), get(t, srv.URL+"/api/room", "")} {
		if strings.Contains(body, "3pu6hszjas") || !strings.Contains(body, "SWMTKN-1-****") {
			t.Errorf("the token reached the room: %s", body)
		}
	}
}

// Guessing the join code: wrong codes from one address are slowed after a few, then refused
// (429) for a while, even with the right code; counted.
func TestWrongCodesSlowedThenRefused(t *testing.T) {
	defer func(d time.Duration) { WrongCodeDelay = d }(WrongCodeDelay)
	WrongCodeDelay = time.Millisecond
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for i := 0; i < MaxWrongCodes; i++ {
		if c := post(t, srv.URL, fmt.Sprintf("GUESS%d", i), event(Event{Learner: "eve", Kind: KindStart})); c != http.StatusForbidden {
			t.Fatalf("wrong code %d: %d", i, c)
		}
	}
	if c := post(t, srv.URL, "ABC234", event(Event{Learner: "eve", Kind: KindStart})); c != http.StatusTooManyRequests {
		t.Errorf("after %d wrong codes the address must be refused for a while, got %d", MaxWrongCodes, c)
	}
	if r := s.Snapshot(); r.Rejected["guessing"] != 1 || r.Rejected["code"] != MaxWrongCodes || len(r.Learners) != 0 {
		t.Errorf("rejections %v, learners %d", r.Rejected, len(r.Learners))
	}
}

// The live stream has a cap on pages open at once.
func TestViewerCap(t *testing.T) {
	defer func(n int) { MaxViewers = n }(MaxViewers)
	MaxViewers = 0
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("past the cap: %d", resp.StatusCode)
	}
}

// The room stays bounded whatever clients send: a learner's history keeps its newest steps,
// error tallies keep the first texts and count the rest together, and names past the cap
// are refused (429, counted).
func TestRoomBounded(t *testing.T) {
	r := NewRoom()
	now := time.Now()
	for i := 0; i < MaxSteps+30; i++ {
		r.Apply(Event{Learner: "a", Kind: KindStep, Step: i, Title: fmt.Sprint("step ", i)}, now)
	}
	for i := 0; i < maxTally+50; i++ {
		r.Apply(Event{Learner: "a", Kind: KindEnd, Error: fmt.Sprint("error ", i)}, now)
	}
	if l := r.Learners["a"]; len(l.Steps) != MaxSteps || l.Steps[len(l.Steps)-1].Title != fmt.Sprint("step ", MaxSteps+29) {
		t.Errorf("steps kept: %d, last %+v", len(l.Steps), l.Steps[len(l.Steps)-1])
	}
	if len(r.Errors) != maxTally+1 || r.Errors[tallyOther] != 50 {
		t.Errorf("tallies: %d keys, other %d", len(r.Errors), r.Errors[tallyOther])
	}
	defer func(n int) { MaxLearners = n }(MaxLearners)
	MaxLearners = 2
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for i, want := range []int{http.StatusNoContent, http.StatusNoContent, http.StatusTooManyRequests} {
		if c := post(t, srv.URL, "ABC234", event(Event{Learner: fmt.Sprint("learner", i), Kind: KindStart})); c != want {
			t.Errorf("learner %d: %d, want %d", i, c, want)
		}
	}
	if c := post(t, srv.URL, "ABC234", event(Event{Learner: "learner0", Kind: KindStep, Step: 1, Title: "x"})); c != http.StatusNoContent {
		t.Errorf("a learner already in the room is not refused: %d", c)
	}
	if s.Snapshot().Rejected["full"] != 1 {
		t.Errorf("the refusal is not counted")
	}
}

// A name is its first sender's: an event for it without the key the server gave is refused
// (403, said as "name", counted) and changes nothing; the instructor frees the name, and
// the next sender takes it.
func TestLearnerNameIsTheirs(t *testing.T) {
	s, srv := keyedServer(t, "instructor-key")
	if c := postAs(t, srv.URL, "ABC234", "", event(Event{Learner: "minji", Kind: KindStart, Command: "create"})); c != http.StatusNoContent {
		t.Fatalf("the first event of a name: %d", c)
	}
	keysMu.Lock()
	key := keys[srv.URL+"\x00minji"]
	keysMu.Unlock()
	if len(key) != 32 {
		t.Fatalf("no key given for the name: %q", key)
	}
	for _, wrong := range []string{"", "0123456789abcdef0123456789abcdef"} {
		if c := postAs(t, srv.URL, "ABC234", wrong, event(Event{Learner: "minji", Kind: KindEnd, Error: "overwritten"})); c != http.StatusForbidden {
			t.Errorf("an event for minji with key %q: %d, want 403", wrong, c)
		}
	}
	if c := postAs(t, srv.URL, "ABC234", key, event(Event{Learner: "minji", Kind: KindStep, Step: 2, Title: "x"})); c != http.StatusNoContent {
		t.Errorf("with the key: %d", c)
	}
	room := s.Snapshot()
	if room.Learners["minji"].Error != "" || room.Rejected["name"] != 2 || room.Keys != nil {
		t.Errorf("after two refused events: error %q, rejected %v, keys shown %v", room.Learners["minji"].Error, room.Rejected, room.Keys)
	}
	// Freeing is the instructor's: without the key, 401.
	free := func(cookie string) int { return instructorPost(t, srv.URL+"/free", "minji", cookie) }
	if c := free(""); c != http.StatusUnauthorized {
		t.Errorf("freeing a name without the instructor's key: %d", c)
	}
	if c := free("instructor-key"); c != http.StatusSeeOther {
		t.Errorf("the instructor freeing a name: %d", c)
	}
	if c := postAs(t, srv.URL, "ABC234", "", event(Event{Learner: "minji", Kind: KindStart, Command: "create"})); c != http.StatusNoContent {
		t.Errorf("a freed name taken again: %d", c)
	}
}

// The page, its stream and the room as JSON are the instructor's: 401 without the key, in
// the browser's language; the printed address (?key=) sets the cookie and leaves the key out
// of the address bar; a wrong key is counted as a guess.
func TestInstructorKey(t *testing.T) {
	s, srv := keyedServer(t, "instructor-key")
	do := func(path, lang, cookie string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: instructorCookie, Value: cookie})
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if path != "/events" || resp.StatusCode != http.StatusOK {
			b.ReadFrom(resp.Body)
		}
		return resp, b.String()
	}
	for _, path := range []string{"/", "/events", "/api/room"} {
		if resp, body := do(path, "", ""); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "This page is the instructor's") {
			t.Errorf("%s without the key: %d %q", path, resp.StatusCode, body)
		}
	}
	if _, body := do("/", "ko", ""); !strings.Contains(body, "강사용 페이지입니다") {
		t.Errorf("the refusal in Korean: %q", body)
	}
	resp, _ := do("/?key=instructor-key", "", "")
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == instructorCookie && c.HttpOnly && c.SameSite == http.SameSiteStrictMode {
			cookie = c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || cookie != "instructor-key" {
		t.Fatalf("the printed address: %d, location %q, cookie %q", resp.StatusCode, resp.Header.Get("Location"), cookie)
	}
	if resp, body := do("/", "", cookie); resp.StatusCode != http.StatusOK || !strings.Contains(body, "No learner has joined yet.") {
		t.Errorf("the page with the cookie: %d", resp.StatusCode)
	}
	if resp, _ := do("/api/room?key=instructor-key", "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the room with ?key=: %d", resp.StatusCode)
	}
	if room, err := Fetch(context.Background(), PageURL(srv.URL, "instructor-key")); err != nil || room == nil {
		t.Errorf("export's fetch from the printed address: %v", err)
	}
	if _, err := Fetch(context.Background(), srv.URL); err == nil {
		t.Error("export's fetch without the key must fail")
	}
	before := s.Snapshot().Rejected["instructor"]
	do("/api/room?key=guess", "", "")
	if s.guessers["127.0.0.1"] == nil || s.guessers["127.0.0.1"].wrong != 1 || s.Snapshot().Rejected["instructor"] != before+1 {
		t.Errorf("a wrong key is not counted as a guess: %+v", s.guessers["127.0.0.1"])
	}
}

// The learner's client keeps the key the classroom gave its name (0600) and sends it: a
// later run is the same learner; another machine (no key) sending the name is refused, and
// told so once, in words that say what to do.
func TestClientKeepsItsKey(t *testing.T) {
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "cfg", "minji.key")
	run := func(keyFile string) []string {
		var notices []string
		c := NewClient(srv.URL, "ABC234", "minji", keyFile, nil, func(s string) { notices = append(notices, s) })
		c.Start("create")
		c.Step(1, "x")
		c.Close()
		return notices
	}
	if n := run(keyFile); len(n) > 0 {
		t.Fatalf("the first run: %q", n)
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v %v", fi, err)
	}
	if n := run(keyFile); len(n) > 0 {
		t.Errorf("a later run with the kept key: %q", n)
	}
	if n := run(filepath.Join(t.TempDir(), "other.key")); len(n) != 1 || !strings.Contains(n[0], "refused the name minji: another learner has it") {
		t.Errorf("another machine sending the name: %q", n)
	}
	if runs := s.Snapshot().Learners["minji"].Runs; runs != 2 {
		t.Errorf("minji's runs: %d, want 2 (the refused one not counted)", runs)
	}
}

// A flood of events writes the state file at most once a SaveEvery, whole (the last event
// in it once the writes settle) and 0600; and twenty open pages share one render per change.
func TestStateWrittenAtMostOncePerInterval(t *testing.T) {
	defer func(d time.Duration) { SaveEvery = d }(SaveEvery)
	SaveEvery = 100 * time.Millisecond
	state := filepath.Join(t.TempDir(), "room.json")
	s, _ := NewServer("ABC234", state)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	t0 := time.Now()
	for i := 0; i < 90; i++ {
		post(t, srv.URL, "ABC234", event(Event{Learner: fmt.Sprint("l", i%9), Kind: KindStep, Step: i, Title: fmt.Sprint("step ", i)}))
	}
	elapsed := time.Since(t0)
	time.Sleep(3 * SaveEvery)
	s.mu.Lock()
	writes := s.writes
	s.mu.Unlock()
	if most := int(elapsed/SaveEvery) + 2; writes > most || writes == 0 {
		t.Errorf("90 events in %v wrote the state file %d times (at most %d)", elapsed, writes, most)
	}
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	r, err := Load(state)
	if err != nil || r.Learners["l8"] == nil || r.Learners["l8"].Step != 89 {
		t.Errorf("the state file lacks the last event: %v", err)
	}
}

func TestOpenPagesShareOneRender(t *testing.T) {
	s, _ := NewServer("ABC234", "")
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStart, Command: "create"}))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/events")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			bufio.NewReader(resp.Body).ReadString('\n') // the first event has begun
		}()
	}
	wg.Wait()
	s.mu.Lock()
	renders := s.renders
	s.mu.Unlock()
	if renders > 2 {
		t.Errorf("20 pages opened on one room rendered it %d times, want once (twice if a Tick/2 passed)", renders)
	}
}

// A hand: raised by a help event (with what it is about), counted on the page and in the
// counts bar, put down by the instructor (only), and by the learner's next run; the report
// says who asked and how often.
func TestRaiseHand(t *testing.T) {
	s, srv := keyedServer(t, "k")
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindStart, Command: "create"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindEnd, Error: "preflight found 1 problem"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStart, Command: "create"}))
	if c := post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindHelp, Text: "2377 <b>blocked</b>?"})); c != http.StatusNoContent {
		t.Fatalf("a help event: %d", c)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: instructorCookie, Value: "k"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	page := b.String()
	for _, want := range []string{`data-learner="jun" data-state="stuck" data-hand="yes"`, "✋ asking for help for", "“2377 &lt;b&gt;blocked&lt;/b&gt;?”",
		"<strong>1</strong> ✋ asking for help", "<strong>1</strong> Working", "<strong>1</strong> ⚠ Stuck", `action="/handled"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	handled := func(cookie string) int { return instructorPost(t, srv.URL+"/handled", "jun", cookie) }
	if c := handled(""); c != http.StatusUnauthorized || s.Snapshot().Learners["jun"].Hand == nil {
		t.Errorf("a learner putting a hand down: %d", c)
	}
	if c := handled("k"); c != http.StatusSeeOther || s.Snapshot().Learners["jun"].Hand != nil {
		t.Errorf("the instructor's Handled: %d", c)
	}
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindHelp}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindStart, Command: "create"}))
	room := s.Snapshot()
	if room.Learners["jun"].Hand != nil || room.Learners["jun"].Asked != 2 {
		t.Errorf("a new run puts the hand down; asked twice: %+v", room.Learners["jun"])
	}
	md, err := Markdown(room, time.Now())
	if err != nil || !strings.Contains(md, "- jun: 2") {
		t.Errorf("the report does not say who asked: %v\n%s", err, md)
	}
}

// noRedirect is a client that shows a redirect as it came.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// instructorPost posts the page's form for learner to url, with the instructor's cookie when
// one is given, and returns the status.
func instructorPost(t *testing.T, url, learner, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("learner="+learner))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: instructorCookie, Value: cookie})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// keyedServer is a room with join code ABC234 and the instructor's key, served until t ends.
func keyedServer(t *testing.T, key string) (*Server, *httptest.Server) {
	s, _ := NewServer("ABC234", "")
	s.InstructorKey = key
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv
}

// A learner's history opens in place: the steps of their runs with how long each took, folded
// under one line so that a room of 60 stays a page of cards.
func TestHistoryInPlace(t *testing.T) {
	_, srv := keyedServer(t, "")
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStart, Command: "create"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStep, Step: 1, Title: "Connecting to every node"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindStep, Step: 2, Title: "Reading each node"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "minji", Kind: KindEnd, OK: true}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindStart, Command: "create"}))
	post(t, srv.URL, "ABC234", event(Event{Learner: "jun", Kind: KindStep, Step: 1, Title: "Connecting to every node"}))
	page := get(t, srv.URL+"/", "")
	// And a progress bar against what a run of create that ended well took in this room.
	for _, want := range []string{`<details class="history"><summary>History: 2 steps</summary>`, "<li>Connecting to every node: 0.0 s</li>",
		`<progress max="2" value="2" aria-label="2 of 2 steps">`, `<progress max="2" value="0" aria-label="0 of 2 steps">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if ko := get(t, srv.URL+"/", "ko"); !strings.Contains(ko, "지난 단계 2개") {
		t.Error("the history's line in Korean")
	}
}

// A slow or idle connection cannot hold the server: a header that trickles in, a body that
// does, and a kept-alive connection left idle are each closed at their limit; the live stream
// alone outlives the write limit.
func TestConnectionLimits(t *testing.T) {
	defer func(h, r, w, i time.Duration) { HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout = h, r, w, i }(HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout)
	HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout = 300*time.Millisecond, 600*time.Millisecond, 400*time.Millisecond, 300*time.Millisecond
	s, _ := NewServer("ABC234", "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.HTTPServer()
	go srv.Serve(l)
	defer srv.Close()
	addr := l.Addr().String()
	// closedWithin says whether the server closed c within d (a read returns EOF or a reset).
	closedWithin := func(c net.Conn, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		buf := make([]byte, 4096)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue // an answer (408 or the like) before the close
			}
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	slowHeader := dial()
	io.WriteString(slowHeader, "GET /api/room HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	if !closedWithin(slowHeader, 3*time.Second) {
		t.Error("a header that never ends holds its connection")
	}
	slowBody := dial()
	io.WriteString(slowBody, "POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"+CodeHeader+": ABC234\r\n\r\n{")
	if !closedWithin(slowBody, 3*time.Second) {
		t.Error("a body that never ends holds its connection")
	}
	idle := dial()
	io.WriteString(idle, "GET /api/room HTTP/1.1\r\nHost: x\r\n\r\n")
	if !closedWithin(idle, 3*time.Second) {
		t.Error("an idle kept-alive connection is never closed")
	}
	// The stream is still open, and sending, after the write limit.
	stream := dial()
	io.WriteString(stream, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(2 * WriteTimeout)
	s.mu.Lock()
	s.changed()
	s.notify()
	s.mu.Unlock()
	stream.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(io.LimitReader(stream, 1<<16))
	if strings.Count(string(b), "event: room") < 2 {
		t.Errorf("the live stream was cut at the write limit: %q", b)
	}
}
