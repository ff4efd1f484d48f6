package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmwiz/swarmwiz/internal/classroom"
)

// The classroom under a real room's load: `swarmwiz classroom serve` (the binary, its own
// process) with 20 pages open on the live stream, 60 learners each sending a run through the
// real client code, and one flooder posting 1.5 KB events as fast as it is answered. Measured: events answered a second (every answer counts, refusals
// too), how long an honest learner's step takes to reach every open page (p99), the server's
// peak memory and the state file's size.
const (
	loadLearners = 60
	loadViewers  = 20
	loadSeconds  = 15
)

func classroomLoad(bin string) error {
	dir, err := os.MkdirTemp("", "swarmwiz-bench-classroom")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "room.json")
	serve := exec.Command(bin, "classroom", "serve", "--listen", "127.0.0.1:0", "--state", state, "--code", "BENCH1",
		"--max-learners", "200")
	serve.Env = append(os.Environ(), "LANG=C.UTF-8", "XDG_CONFIG_HOME="+dir)
	out, _ := serve.StdoutPipe()
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	var page string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Classroom page: "); ok {
			page = v
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	base, key, ok := strings.Cut(page, "/?key=")
	if !ok {
		return fmt.Errorf("classroom serve printed no page address")
	}
	stop := make(chan struct{})
	// The pages: each notes when it first saw each marker.
	var seenMu sync.Mutex
	seen := map[string][]time.Time{}
	var viewers sync.WaitGroup
	for range loadViewers {
		req, _ := http.NewRequest(http.MethodGet, base+"/events?key="+key, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		viewers.Add(1)
		go func() {
			defer viewers.Done()
			defer resp.Body.Close()
			mine := map[string]bool{}
			r := bufio.NewReaderSize(resp.Body, 1<<20)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				for _, m := range markerRE(line) {
					if !mine[m] {
						mine[m] = true
						seenMu.Lock()
						seen[m] = append(seen[m], time.Now())
						seenMu.Unlock()
					}
				}
			}
		}()
	}
	var answered atomic.Int64
	// The flooder, a hostile learner with the code, from a machine of its own (127.0.0.2), on
	// 4 connections: 1.5 KB problems under 3 names, as fast as it is answered.
	for f := range 4 {
		go flood(base, f, stop, &answered)
	}
	// The learners: a create run each, step by step, through the client the wizard uses;
	// every step's title carries a marker with the time it was sent.
	var sentMu sync.Mutex
	sent := map[string]time.Time{}
	var learners sync.WaitGroup
	t0 := time.Now()
	for i := range loadLearners {
		learners.Add(1)
		go func() {
			defer learners.Done()
			name := fmt.Sprintf("learner%02d", i)
			c := classroom.NewClient(base, "BENCH1", name, filepath.Join(dir, name+".key"), nil, nil)
			defer c.Close()
			c.Start("create")
			for step := 1; time.Since(t0) < loadSeconds*time.Second; step++ {
				m := fmt.Sprintf("mk%02d-%04d", i, step)
				sentMu.Lock()
				sent[m] = time.Now()
				sentMu.Unlock()
				c.Step(step%14+1, "Joining the workers "+m)
				answered.Add(1)
				if step%5 == 0 {
					c.Nodes([]classroom.NodeRow{{Hostname: "node1", Status: "Ready", Availability: "Active", Manager: "Leader"}, {Hostname: "node2", Status: "Ready", Availability: "Active"}})
					answered.Add(1)
				}
				time.Sleep(time.Second)
			}
			c.End(nil)
		}()
	}
	learners.Wait()
	elapsed := time.Since(t0)
	close(stop)
	time.Sleep(2 * time.Second) // the last steps reach the pages
	rss := peakRSS(serve.Process.Pid)
	serverCPU := procCPU(serve.Process.Pid)
	benchCPU := procCPU(os.Getpid())
	serve.Process.Signal(os.Interrupt)
	serve.Wait()
	viewers.Wait()
	var lat []float64
	missed := 0
	seenMu.Lock()
	for m, at := range sent {
		arrivals := seen[m]
		if len(arrivals) < loadViewers {
			missed += loadViewers - len(arrivals)
		}
		for _, a := range arrivals {
			lat = append(lat, a.Sub(at).Seconds())
		}
	}
	seenMu.Unlock()
	sort.Float64s(lat)
	p99 := 0.0
	if len(lat) > 0 {
		p99 = lat[len(lat)*99/100]
	}
	fi, _ := os.Stat(state)
	size := int64(0)
	if fi != nil {
		size = fi.Size()
	}
	rate := float64(answered.Load()) / elapsed.Seconds()
	fmt.Printf("classroom %d learners + 1 flooder, %d pages: %.0f events/s answered (target >= 2000), a learner's step on every page p99 %.2f s (target <= 1 s, %d of %d arrivals missed), server peak memory %.0f MB (target < 150), state file %.2f MB (target < 5)\n",
		loadLearners, loadViewers, rate, p99, missed, len(sent)*loadViewers, float64(rss)/(1<<20), float64(size)/(1<<20))
	// The load runs on the same cores as the server: what each used says which one limited.
	fmt.Printf("classroom load: %.1f s of CPU for the server, %.1f s for the learners, pages and flooder, in %.1f s on %d cores\n",
		serverCPU, benchCPU, elapsed.Seconds(), runtime.NumCPU())
	return nil
}

// flood posts 1.5 KB events as fast as they are answered until stop.
func flood(base string, f int, stop chan struct{}, answered *atomic.Int64) {
	text := strings.Repeat("x", 1500)
	// From another address, as another machine in the room.
	dial := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Transport: &http.Transport{DialContext: dial.DialContext}}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		b, _ := json.Marshal(classroom.Event{Learner: "flood" + strconv.Itoa((i*4+f)%3), Kind: classroom.KindProblem, Text: text})
		req, _ := http.NewRequest(http.MethodPost, base+"/api/events", bytes.NewReader(b))
		req.Header.Set(classroom.CodeHeader, "BENCH1")
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body) // read to the end: the connection is kept for the next
			resp.Body.Close()
			answered.Add(1)
		}
	}
}

// markerRE finds the step markers in a line of the stream.
func markerRE(line string) []string {
	var out []string
	for {
		i := strings.Index(line, "mk")
		if i < 0 || len(line) < i+9 {
			return out
		}
		m := line[i : i+9]
		if m[4] == '-' {
			out = append(out, m)
		}
		line = line[i+2:]
	}
}

// procCPU is a process's CPU time so far (user and system), in seconds.
func procCPU(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 13 {
			u, _ := strconv.ParseFloat(f[11], 64)
			k, _ := strconv.ParseFloat(f[12], 64)
			return (u + k) / 100 // clock ticks: 100 a second on Linux
		}
	}
	return 0
}

// peakRSS is a process's peak resident memory (VmHWM), in bytes.
func peakRSS(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
