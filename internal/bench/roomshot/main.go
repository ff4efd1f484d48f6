// Command roomshot is `make screenshot`: a classroom of 20 learners in the states a real
// workshop shows (most finished with their node tables, some working, some stuck on a
// preflight problem, two asking for help), sent through the real client to `swarmwiz
// classroom serve`, and the instructor's page as headless chromium draws it, written to
// docs/classroom-20.jpg.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
)

var names = []string{"Minji", "Jun", "Sora", "Hyun", "Daeun", "Jiho", "Seoyeon", "Minho", "Yuna", "Taeyang",
	"Ara", "Woojin", "Eunji", "Siwoo", "Nari", "Joon", "Haneul", "Bora", "Kyung", "Dami"}

func main() {
	bin := flag.String("bin", "bin/swarmwiz", "the swarmwiz binary")
	out := flag.String("out", "docs/classroom-20.jpg", "the screenshot")
	flag.Parse()
	if err := run(*bin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "roomshot:", err)
		os.Exit(1)
	}
}

func run(bin, out string) error {
	dir, err := os.MkdirTemp("", "swarmwiz-roomshot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	serve := exec.Command(bin, "classroom", "serve", "--listen", "127.0.0.1:0", "--code", "SHOT42")
	serve.Env = append(os.Environ(), "LANG=C.UTF-8")
	stdout, _ := serve.StdoutPipe()
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	sc := bufio.NewScanner(stdout)
	page := ""
	for page == "" && sc.Scan() {
		page, _ = strings.CutPrefix(sc.Text(), "Classroom page: ")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	base, _, ok := strings.Cut(page, "/?key=")
	if !ok {
		return fmt.Errorf("classroom serve printed no page address")
	}
	steps := []string{"Connecting to every node", "Reading each node", "The first manager", "How many managers",
		"Which nodes are managers", "Checking which nodes are already in the swarm", "Preflight: checking every node before anything changes",
		"Summary", "Starting the swarm on the first manager", "Joining the other managers, one at a time", "Joining the workers",
		"The swarm's nodes (docker node ls)", "What next"}
	for i, name := range names {
		c := classroom.NewClient(base, "SHOT42", name, filepath.Join(dir, name+".key"), nil, nil)
		c.Start("create")
		switch {
		case i%7 == 1: // stuck on a blocked port
			for s := 1; s <= 7; s++ {
				c.Step(s, steps[s-1])
			}
			c.Problem("node2", "reach 10.0.0.11:2377: blocked (no answer in 3 s)", "on node1, let 2377/tcp in: firewall-cmd --permanent --add-port=2377/tcp && firewall-cmd --reload")
			c.End(fmt.Errorf("preflight found 1 problem (see the table above): nothing was changed on any node; fix it and run swarmwiz again"))
			if i == 1 || i == 15 {
				c.Help(map[int]string{1: "I opened 2377 but it still says blocked", 15: ""}[i])
			}
		case i%5 == 3: // working
			for s := 1; s <= 10; s++ {
				c.Step(s, steps[s-1])
			}
		default: // finished
			for s := 1; s <= len(steps); s++ {
				c.Step(s, steps[s-1])
			}
			c.Nodes([]classroom.NodeRow{{Hostname: "node1", Status: "Ready", Availability: "Active", Manager: "Leader"},
				{Hostname: "node2", Status: "Ready", Availability: "Active", Manager: "Reachable"},
				{Hostname: "node3", Status: "Ready", Availability: "Active", Manager: "Reachable"},
				{Hostname: "node4", Status: "Ready", Availability: "Active"}})
			c.End(nil)
		}
		c.Close()
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"), chromedp.Flag("lang", "en-US"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancelC := context.WithTimeout(ctx, time.Minute)
	defer cancelC()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 1200), chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`article[data-learner="Dami"]`))); err != nil {
		return err
	}
	jpeg, err := chromedp.Run(ctx, chromedp.FullScreenshot(70)) // JPEG: a fraction of the PNG
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, jpeg, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}
