//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
)

// classroomServe starts `swarmwiz classroom serve` on a free loopback port and returns the
// address learners use, the instructor's page address (with its key) and the join code it
// printed.
func classroomServe(t *testing.T, state string) (url, page, code string) {
	t.Helper()
	cmd := exec.Command(bin, "classroom", "serve", "--listen", "127.0.0.1:0", "--state", state, "--stuck-after", "10m")
	cmd.Env = englishEnv()
	out, _ := cmd.StdoutPipe()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Classroom page: "); ok {
			page = v
			url, _, _ = strings.Cut(v, "/?key=")
		}
		if v, ok := strings.CutPrefix(line, "Join code: "); ok {
			code = v
			break
		}
	}
	if url == "" || !strings.Contains(page, "/?key=") || code == "" {
		t.Fatalf("classroom serve printed no address with the instructor's key and code; stderr:\n%s", errb.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return url, page, code
}

// browser is a headless chromium driven over the DevTools protocol. Every host name resolves
// to nothing, so no packet leaves this machine whatever the browser would fetch on its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (make test installs it as root): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	return ctx
}

// cardText is what a person reads on one learner's card.
func cardText(t *testing.T, ctx context.Context, learner string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article[data-learner="`+learner+`"]`)))
	if err != nil {
		t.Fatalf("%s's card: %v", learner, err)
	}
	return text
}

// waitState waits, without reloading the page, until learner's card says state.
func waitState(t *testing.T, ctx context.Context, learner, state string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sel := `article[data-learner="` + learner + `"][data-state="` + state + `"]`
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		main, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		t.Fatalf("%s is not shown as %s: %v\npage:\n%s", learner, state, err, main)
	}
}

// Three learners, each with a practice lab of their own, build swarms with --classroom; one
// lab drops 2377/tcp on its first manager. A real browser shows the instructor two finished
// with their node tables and one stuck with the named node and the fix; once the fault is gone
// and that learner runs again, the page turns them finished without a reload. Bad events are
// refused and counted, the export has the step times and the errors, and a classroom that is
// away or hangs costs a learner's run nothing but one notice line.
func TestClassroomThreeLearners(t *testing.T) {
	sharedLab(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "room.json")
	url, page, code := classroomServe(t, state)
	learners := []struct{ name, lab, subnet string }{
		{"Minji", "e2ecls1", "198.19.21.0/24"}, {"Jun", "e2ecls2", "198.19.22.0/24"}, {"Sora", "e2ecls3", "198.19.23.0/24"},
	}
	first := map[string]string{}
	for _, l := range learners {
		if r := swarmwiz(t, "lab", "up", "--name", l.lab, "--nodes", "3", "--subnet", l.subnet); r.code != 0 {
			t.Fatalf("lab up %s: %s", l.lab, r)
		}
		t.Cleanup(func() { swarmwiz(t, "lab", "down", "--name", l.lab) })
		first[l.name] = labStatus(t, l.lab)[0].Address
	}
	drop := []string{"iptables", "-I", "INPUT", "-p", "tcp", "--dport", "2377", "-j", "DROP"}
	inLabNode(t, "e2ecls2", 1, "net", drop...)
	create := func(name, lab string, extra ...string) result {
		return swarmwiz(t, append([]string{"create", "--lab", lab, "--yes", "--managers", "1", "--advertise-addr", first[name],
			"--classroom", url, "--classroom-code", code, "--name", name}, extra...)...)
	}
	for _, l := range learners {
		r := create(l.name, l.lab)
		if want := map[bool]int{true: 1, false: 0}[l.name == "Jun"]; r.code != want {
			t.Fatalf("%s's create: want exit %d: %s", l.name, want, r)
		}
		if strings.Contains(r.err, "classroom") {
			t.Errorf("a classroom that works should not be mentioned: %s", r)
		}
	}

	ctx := browser(t)
	// Without the instructor's key the page is not shown; the printed address opens it.
	if resp, err := http.Get(url + "/"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the page without the instructor's key: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	waitState(t, ctx, "Minji", "finished")
	waitState(t, ctx, "Sora", "finished")
	waitState(t, ctx, "Jun", "stuck")
	text := func(sel string) string { s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); return s }
	js := func(expr string) string { s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr)); return s }
	summary := text("#summary")
	if !strings.Contains(summary, "3 learners: 2 finished, 1 stuck (Jun)") {
		t.Errorf("summary: %q", summary)
	}
	for _, name := range []string{"Minji", "Sora"} {
		card := cardText(t, ctx, name)
		for _, want := range []string{"Finished", "3 nodes, 1 manager (1 reachable: quorum held), leader node1", "node2", "node3", "Ready", "Leader"} {
			if !strings.Contains(card, want) {
				t.Errorf("%s's card lacks %q:\n%s", name, want, card)
			}
		}
	}
	jun := cardText(t, ctx, "Jun")
	for _, want := range []string{"Stuck", "preflight found", "node2", "2377", "Fix:", "let 2377/tcp in"} {
		if !strings.Contains(jun, want) {
			t.Errorf("Jun's card lacks %q:\n%s", want, jun)
		}
	}
	// The room at a glance: the counts bar.
	if counts := text("#counts"); !strings.Contains(counts, "3 learners") || !strings.Contains(counts, "2 ✓ Finished") ||
		!strings.Contains(counts, "1 ⚠ Stuck") || !strings.Contains(counts, "0 ✋ asking for help") {
		t.Errorf("the counts bar: %q", counts)
	}
	// Jun asks for help at the terminal where the run stopped (a real pseudo-terminal: off a
	// terminal nothing is asked). The page shows the hand and counts it; the instructor
	// marks it handled from the page, and it goes.
	pty := startPTY(t, nil, "create", "--lab", "e2ecls2", "--yes", "--managers", "1", "--advertise-addr", first["Jun"],
		"--classroom", url, "--classroom-code", code, "--name", "Jun")
	pty.expect("Which node starts")
	pty.send(keyEnter) // node1
	pty.expect("preflight found")
	pty.expect("Ask the instructor for help?")
	pty.send("y", keyEnter)
	pty.expect("your hand is up on the instructor's page")
	if c := pty.wait(); c != 1 {
		t.Errorf("Jun's run that asked for help: exit %d, want 1:\n%s", c, pty.text())
	}
	if n := strings.Count(pty.text(), "swarmwiz: Preflight: checking every node before anything changes: preflight found"); n != 1 {
		t.Errorf("the error shown %d times, want once:\n%s", n, pty.text())
	}
	hand := `article[data-learner="Jun"][data-hand="yes"]`
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(hand))); err != nil {
		t.Errorf("Jun's hand is not shown: %v\n%s", err, cardText(t, ctx, "Jun"))
	}
	cancel()
	if jun := cardText(t, ctx, "Jun"); !strings.Contains(jun, "✋ asking for help for") {
		t.Errorf("Jun's card lacks the hand: %s", jun)
	}
	if counts := text("#counts"); !strings.Contains(counts, "1 ✋ asking for help") {
		t.Errorf("the counts bar does not count the hand: %q", counts)
	}
	wctx, cancel = context.WithTimeout(ctx, time.Minute)
	if err := chromedp.Do(wctx, chromedp.Click(chromedp.CSS(hand+` form[action="/handled"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`article[data-learner="Jun"]`)), chromedp.WaitNotPresent(chromedp.CSS(hand))); err != nil {
		t.Errorf("the instructor's Handled did not put Jun's hand down: %v", err)
	}
	cancel()
	waitState(t, ctx, "Jun", "stuck")
	// Text for every state, in a structure a screen reader can walk: not colour alone.
	if js(`String(!!document.querySelector('main[aria-live="polite"]') && document.querySelectorAll('article[aria-labelledby] h2').length === 3 && document.querySelector('h1') !== null && document.querySelectorAll('table caption').length === 2)`) != "true" {
		t.Error("the page lacks its landmarks: main (aria-live), h1, an article with a heading per learner, captioned tables")
	}

	// Bad events: refused with a 4xx, counted, and the learners unchanged.
	cards := `Array.from(document.querySelectorAll('article')).map(a => a.dataset.learner + '=' + a.dataset.state).join(',')`
	before := js(cards)
	for _, tc := range []struct {
		code, body string
		status     int
	}{
		{"WRONG9", `{"learner":"Mallory","kind":"start","command":"create"}`, http.StatusForbidden},
		{code, `{"learner":"Mallory","kind":"problem","text":"` + strings.Repeat("x", 20000) + `"}`, http.StatusRequestEntityTooLarge},
		{code, `{"learner":"Mallory","kind":"start"`, http.StatusBadRequest},
		// Mallory has the code but not Minji's key: Minji's card is not hers to change.
		{code, `{"learner":"Minji","kind":"end","ok":false,"error":"rm -rf /"}`, http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/events", strings.NewReader(tc.body))
		req.Header.Set("X-Swarmwiz-Classroom-Code", tc.code)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("bad event %.60s: status %d, want %d", tc.body, resp.StatusCode, tc.status)
		}
	}
	var room struct{ Rejected map[string]int }
	key := strings.SplitN(page, "/?key=", 2)[1]
	resp, err := http.Get(url + "/api/room?key=" + key)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&room)
	resp.Body.Close()
	if room.Rejected["code"] != 1 || room.Rejected["size"] != 1 || room.Rejected["malformed"] != 1 || room.Rejected["name"] != 1 {
		t.Errorf("refused events not counted: %v", room.Rejected)
	}
	if after := js(cards); before != "Jun=stuck,Minji=finished,Sora=finished" || after != before {
		t.Errorf("learners before the bad events: %s; after: %s", before, after)
	}

	// The fault goes, Jun runs again, and the open page turns Jun finished by itself.
	js(`window.notReloaded = "yes"`)
	inLabNode(t, "e2ecls2", 1, "net", append([]string{"iptables", "-D"}, drop[2:]...)...)
	if r := create("Jun", "e2ecls2"); r.code != 0 {
		t.Fatalf("Jun's re-run: %s", r)
	}
	waitState(t, ctx, "Jun", "finished")
	if js(`window.notReloaded`) != "yes" {
		t.Error("the page was reloaded: it should update itself")
	}
	if summary = text("#summary"); !strings.Contains(summary, "3 learners: 3 finished, 0 stuck") {
		t.Errorf("after Jun's re-run: %q", summary)
	}

	if !strings.Contains(cardText(t, ctx, "Jun"), "3 nodes, 1 manager") {
		t.Errorf("Jun's node table is not shown:\n%s", cardText(t, ctx, "Jun"))
	}

	// The room never holds a secret.
	if b, _ := os.ReadFile(state); bytes.Contains(b, []byte("SWMTKN")) || len(b) == 0 {
		t.Errorf("the room file is empty or holds a join token")
	}

	// The export, from the running page (the printed address, key and all: the state file
	// trails the room by up to a second): per-step times across the room, the errors counted.
	out := filepath.Join(dir, "report")
	if r := swarmwiz(t, "classroom", "export", "--from", page, "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r)
	}
	steps, _ := os.ReadFile(filepath.Join(out, "classroom-steps.csv"))
	if !strings.Contains(string(steps), "step,times,median_seconds") || !strings.Contains(string(steps), "Preflight: checking every node before anything changes,5,") {
		t.Errorf("classroom-steps.csv:\n%s", steps)
	}
	md, _ := os.ReadFile(filepath.Join(out, "classroom.md"))
	// Jun failed twice (the second time asking for help); refused: a wrong code, a size, a
	// malformed event, Minji's name without her key, the page without the instructor's key.
	for _, want := range []string{"3 of 3 learners finished.", "2 × Preflight: checking every node before anything changes: preflight found",
		"Events refused: 5", "- Jun: 1"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("classroom.md lacks %q:\n%s", want, md)
		}
	}

	// A classroom where nothing listens, and one that never answers: the run is not held up
	// and says so once.
	hang, _ := net.Listen("tcp", "127.0.0.1:0")
	defer hang.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	gone, _ := net.Listen("tcp", "127.0.0.1:0")
	goneURL := "http://" + gone.Addr().String()
	gone.Close()
	timed := func(args ...string) (result, time.Duration) {
		t0 := time.Now()
		r := swarmwiz(t, args...)
		return r, time.Since(t0)
	}
	rerun := []string{"create", "--lab", "e2ecls1", "--yes", "--managers", "1", "--advertise-addr", first["Minji"]}
	_, without := timed(rerun...)
	for _, where := range []string{goneURL, "http://" + hang.Addr().String()} {
		r, took := timed(append(rerun, "--classroom", where, "--classroom-code", code, "--name", "Minji")...)
		if r.code != 0 {
			t.Errorf("with classroom %s: %s", where, r)
		}
		if n := strings.Count(r.err, "classroom "+where); n != 1 {
			t.Errorf("with classroom %s: want one notice line, got %d:\n%s", where, n, r.err)
		}
		// Within noise: the end of a run waits half a second at most for the classroom; a
		// wizard that waited for it would take seconds an event.
		if took > without+3*time.Second {
			t.Errorf("with classroom %s the run took %v, without %v", where, took, without)
		}
	}
}

// A room of 20, sent through the real client as the wizard sends, on two open pages: the
// counts bar, the instructor's "stuck and asking for help first" and the search box, and a
// learner's hostile title (CR, LF, an "event:" line, HTML) that leaves every page live and is
// shown as text.
func TestClassroomRoomOfTwenty(t *testing.T) {
	needLab(t)
	url, page, code := classroomServe(t, filepath.Join(t.TempDir(), "room.json"))
	keys := t.TempDir()
	send := func(name string, run func(c *classroom.Client)) {
		c := classroom.NewClient(url, code, name, filepath.Join(keys, name+".key"), nil, nil)
		c.Start("create")
		run(c)
		c.Close()
		if !c.Delivered() {
			t.Fatalf("%s's events did not all reach the classroom", name)
		}
	}
	for i := range 20 {
		name := fmt.Sprintf("learner%02d", i+1)
		send(name, func(c *classroom.Client) {
			switch {
			case i < 14:
				c.Step(13, "What next")
				c.Nodes([]classroom.NodeRow{{Hostname: "node1", Status: "Ready", Availability: "Active", Manager: "Leader"}})
				c.End(nil)
			case i < 17:
				c.Step(7, "Preflight: checking every node before anything changes")
				c.End(errors.New("preflight found 1 problem"))
				if i < 16 {
					c.Help("2377 still blocked?")
				}
			default:
				c.Step(10, "Joining the other managers, one at a time")
			}
		})
	}
	ctx := browser(t)
	other, cancel := chromedp.NewContext(ctx) // a second page: the projector
	defer cancel()
	for _, c := range []context.Context{ctx, other} {
		if err := chromedp.Do(c, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`article[data-learner="learner20"]`))); err != nil {
			t.Fatal(err)
		}
	}
	text := func(c context.Context, sel string) string {
		s, _ := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		return s
	}
	js := func(c context.Context, expr string) string {
		s, _ := chromedp.Run(c, chromedp.Evaluate[string](expr))
		return s
	}
	counts := text(ctx, "#counts")
	for _, want := range []string{"20 learners", "3 Working", "14 ✓ Finished", "3 ⚠ Stuck", "2 ✋ asking for help"} {
		if !strings.Contains(counts, want) {
			t.Errorf("the counts bar lacks %q: %q", want, counts)
		}
	}
	// Stuck and asking for help first: the cards the instructor must see lead.
	order := `Array.from(document.querySelectorAll('article.learner')).filter(a => !a.hidden)
		.sort((a, b) => (getComputedStyle(a).order - getComputedStyle(b).order) || 0).slice(0, 3).map(a => a.dataset.state).join(',')`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#needs-first"))); err != nil {
		t.Fatal(err)
	}
	if got := js(ctx, order); got != "stuck,stuck,stuck" {
		t.Errorf("stuck first: the first three cards are %q", got)
	}
	top := js(ctx, `String(Math.min(...Array.from(document.querySelectorAll('article.learner.stuck')).map(a => a.getBoundingClientRect().top)) <= Math.min(...Array.from(document.querySelectorAll('article.learner.finished')).map(a => a.getBoundingClientRect().top)))`)
	if top != "true" {
		t.Error("stuck first: a finished card is drawn above the stuck ones")
	}
	// The search box finds a learner by name.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#filter"), "learner07")); err != nil {
		t.Fatal(err)
	}
	if got := js(ctx, `Array.from(document.querySelectorAll('article.learner')).filter(a => !a.hidden).map(a => a.dataset.learner).join(',')`); got != "learner07" {
		t.Errorf("searching learner07 shows %q", got)
	}
	js(ctx, `filter.value = ""; filter.dispatchEvent(new Event("input")); "cleared"`)
	// A hostile title, then an honest step: both pages still follow the room, and the title
	// is text.
	send("mallory", func(c *classroom.Client) {
		c.Step(1, "x\revent: nope\ndata: <b>gotcha</b>\r\n\r\nevent: room\u2028")
	})
	send("learner21", func(c *classroom.Client) { c.Step(2, "an honest step after the hostile one") })
	for i, c := range []context.Context{ctx, other} {
		wctx, cancel := context.WithTimeout(c, 30*time.Second)
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`article[data-learner="learner21"]`)))
		cancel()
		if err != nil {
			t.Errorf("page %d stopped following the room after a hostile title: %v", i+1, err)
		}
		if js(c, `String(document.querySelector('article[data-learner="mallory"] b') === null)`) != "true" {
			t.Errorf("page %d drew the hostile title's HTML", i+1)
		}
	}
	if mal := text(other, `article[data-learner="mallory"]`); !strings.Contains(mal, "<b>gotcha</b>") {
		t.Errorf("the hostile title is not shown as text: %q", mal)
	}
}
