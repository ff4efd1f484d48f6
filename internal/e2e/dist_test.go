//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The classroom hands out the binary: `classroom serve --dist` serves what `make dist` made,
// and the page's own line for Linux downloads the archive, checks its SHA-256 and unpacks it;
// the swarmwiz inside runs. A download is counted on the page.
func TestClassroomHandsOutTheBinary(t *testing.T) {
	dist := t.TempDir()
	build := exec.Command("go", "run", "./internal/dist", "-out", dist, "-version", "9.9.9-e2e", "-commit", "abc1234",
		"-date", "2026-01-02T03:04:05Z", "-platforms", "linux/amd64")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make dist for linux/amd64: %v\n%s", err, out)
	}
	serve := exec.Command(bin, "classroom", "serve", "--listen", "127.0.0.1:0", "--dist", dist, "--code", "DISTE2E")
	serve.Env = englishEnv()
	out, _ := serve.StdoutPipe()
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	url := ""
	sc := bufio.NewScanner(out)
	for url == "" && sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Classroom page: "); ok {
			url = u
		}
	}
	go io.Copy(io.Discard, out)
	if url == "" {
		t.Fatal("serve printed no address")
	}
	// The instructor's page, opened as a browser opens the printed address: the key becomes a
	// cookie and the page is "/".
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func() string {
		r, err := browser.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	m := regexp.MustCompile(`(?s)id="get-linux-amd64">.*?<code class="fetch">(.*?)</code>`).FindStringSubmatch(page())
	if m == nil {
		t.Fatalf("the page has no Linux line:\n%s", page())
	}
	line := html.UnescapeString(m[1])
	if !strings.Contains(line, "sha256sum -c") {
		t.Errorf("the line does not verify the checksum: %s", line)
	}
	work := t.TempDir()
	get := exec.Command("bash", "-c", line)
	get.Dir = work
	if b, err := get.CombinedOutput(); err != nil {
		t.Fatalf("the page's line failed: %v\n%s\n%s", err, line, b)
	}
	v := exec.Command(filepath.Join(work, "swarmwiz_9.9.9-e2e_linux_amd64", "swarmwiz"), "version", "--output", "json")
	b, err := v.Output()
	var info map[string]string
	if err != nil || json.Unmarshal(b, &info) != nil || info["version"] != "9.9.9-e2e" || info["commit"] != "abc1234" || info["os"] != "linux" {
		t.Errorf("the downloaded swarmwiz: %v %s", err, b)
	}
	// A corrupted download is refused by the same line.
	sum := regexp.MustCompile(`[0-9a-f]{64}`).FindString(line)
	bad := strings.Replace(line, sum, strings.Repeat("0", 64), 1)
	if err := exec.Command("bash", "-c", "cd "+t.TempDir()+" && "+bad).Run(); err == nil {
		t.Errorf("a wrong checksum was not refused: %s", bad)
	}
	if p := page(); !strings.Contains(p, "2 downloads") {
		t.Errorf("the page does not count the two downloads")
	}
}
