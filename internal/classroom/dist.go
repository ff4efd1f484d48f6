package classroom

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Downloads are the swarmwiz binaries the classroom hands out at /get/OS-ARCH: on a room's
// poor Wi-Fi this is how the binary reaches every learner's laptop. Each comes with its
// SHA-256 and a line per OS that downloads and verifies it.
type Downloads struct {
	Files []Download

	mu    sync.Mutex
	count map[string]int
}

// Download is one platform's file.
type Download struct {
	Platform string // linux-amd64
	OS, Arch string
	Name     string // the file's name: swarmwiz_1.2.0_linux_amd64.tar.gz
	Path     string // where it is on this machine
	SHA256   string
	Archive  bool // a tar.gz or zip from make dist; else a bare binary
	Dir      string
}

// distName is an archive of `make dist`: swarmwiz_VERSION_OS_ARCH.tar.gz or .zip.
var distName = regexp.MustCompile(`^swarmwiz_(.+)_(linux|darwin|windows)_(amd64|arm64)\.(tar\.gz|zip)$`)

// ErrNoDist is a --dist folder without the SHA256SUMS of `make dist`.
var ErrNoDist = errors.New("no SHA256SUMS")

// LoadDist reads what `make dist` left in dir: the archives named in its SHA256SUMS.
func LoadDist(dir string) (*Downloads, error) {
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDist, err)
	}
	defer f.Close()
	d := &Downloads{count: map[string]int{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		m := distName.FindStringSubmatch(name)
		if !ok || m == nil || len(sum) != 64 {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".tar.gz"), ".zip")
		d.Files = append(d.Files, Download{Platform: m[2] + "-" + m[3], OS: m[2], Arch: m[3], Name: name,
			Path: filepath.Join(dir, name), SHA256: sum, Archive: true, Dir: base})
	}
	if len(d.Files) == 0 {
		return nil, fmt.Errorf("%w: no archive listed in %s", ErrNoDist, filepath.Join(dir, "SHA256SUMS"))
	}
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Platform < d.Files[j].Platform })
	return d, nil
}

// SelfDist hands out the running binary itself, for its own platform only.
func SelfDist(exe string) (*Downloads, error) {
	f, err := os.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	name := "swarmwiz"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return &Downloads{count: map[string]int{}, Files: []Download{{Platform: runtime.GOOS + "-" + runtime.GOARCH,
		OS: runtime.GOOS, Arch: runtime.GOARCH, Name: name, Path: exe, SHA256: hex.EncodeToString(h.Sum(nil))}}}, nil
}

// serve is GET /get/{platform}: the file, counted.
func (d *Downloads) serve(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("platform")
	for _, f := range d.Files {
		if f.Platform != p {
			continue
		}
		d.mu.Lock()
		d.count[p]++
		d.mu.Unlock()
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.Name))
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeFile(w, r, f.Path)
		return
	}
	http.NotFound(w, r)
}

// Count is how often platform was downloaded.
func (d *Downloads) Count(platform string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count[platform]
}

// GetLine is one platform's copy-paste line: download, verify the checksum, unpack; and the
// command that then joins the classroom, the learner adding only their name.
type GetLine struct {
	Download
	URL, Fetch, Run string
	Downloads       int
}

// Lines are the page's and serve's "Get swarmwiz" lines, for a classroom at base with code.
func (d *Downloads) Lines(base, code string) []GetLine {
	var out []GetLine
	for _, f := range d.Files {
		url := base + "/get/" + f.Platform
		data := map[string]string{"URL": url, "Base": base, "Code": code, "Name": f.Name, "SHA": f.SHA256, "Dir": f.Dir}
		fetch, run := getLines(f, data)
		out = append(out, GetLine{Download: f, URL: url, Fetch: fetch, Run: run, Downloads: d.Count(f.Platform)})
	}
	return out
}

// getLines are the two lines for f: PowerShell on Windows, curl elsewhere (macOS checks with
// shasum, which it has; Linux with sha256sum); an archive is unpacked, a bare binary made
// executable.
func getLines(f Download, data map[string]string) (fetch, run string) {
	switch {
	case f.OS == "windows" && f.Archive:
		return templates.Msg("get.fetch.windows", data), templates.Msg("get.run.windows", data)
	case f.OS == "windows":
		return templates.Msg("get.fetch.windows.bin", data), templates.Msg("get.run.windows.bin", data)
	case f.OS == "darwin" && f.Archive:
		return templates.Msg("get.fetch.darwin", data), templates.Msg("get.run.unix", data)
	case f.OS == "darwin":
		return templates.Msg("get.fetch.darwin.bin", data), templates.Msg("get.run.unix.bin", data)
	case f.Archive:
		return templates.Msg("get.fetch.unix", data), templates.Msg("get.run.unix", data)
	}
	return templates.Msg("get.fetch.unix.bin", data), templates.Msg("get.run.unix.bin", data)
}
