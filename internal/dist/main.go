// Command dist builds swarmwiz for every learner's laptop: a static binary per platform, an
// archive of each (tar.gz; zip for Windows) with the README and the licences of what it is
// built from, and SHA256SUMS. The same commit gives the same bytes: -trimpath, no build id,
// every time stamp the commit's, files in a fixed order. `make dist` runs it.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Platforms are the learners' laptops and servers.
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

func main() {
	out := flag.String("out", "dist", "where the files go (emptied first)")
	version := flag.String("version", "dev", "the release")
	commit := flag.String("commit", "", "the commit built")
	date := flag.String("date", "", "the commit's date, RFC 3339: every time stamp in the archives")
	only := flag.String("platforms", strings.Join(Platforms, ","), "which, comma-separated OS/ARCH")
	flag.Parse()
	stamp := time.Unix(0, 0).UTC()
	if *date != "" {
		t, err := time.Parse(time.RFC3339, *date)
		if err != nil {
			fail(err)
		}
		stamp = t.UTC()
	}
	if err := os.RemoveAll(*out); err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		fail(err)
	}
	var sums []string
	for _, p := range strings.Split(*only, ",") {
		goos, goarch, _ := strings.Cut(p, "/")
		base := fmt.Sprintf("swarmwiz_%s_%s_%s", *version, goos, goarch)
		exe := "swarmwiz"
		if goos == "windows" {
			exe += ".exe"
		}
		bin := filepath.Join(*out, base+filepath.Ext(exe))
		if err := build(goos, goarch, bin, *version, *commit, *date); err != nil {
			fail(err)
		}
		prog, err := os.ReadFile(bin)
		if err != nil {
			fail(err)
		}
		notice, err := licences(goos, goarch)
		if err != nil {
			fail(err)
		}
		files := []file{{base + "/" + exe, prog, 0o755}, {base + "/README.md", readme, 0o644}, {base + "/NOTICE", notice, 0o644}}
		archive := filepath.Join(*out, base+".tar.gz")
		pack := tarGz
		if goos == "windows" {
			archive, pack = filepath.Join(*out, base+".zip"), zipped
		}
		b, err := pack(files, stamp)
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile(archive, b, 0o644); err != nil {
			fail(err)
		}
		for _, f := range []string{bin, archive} {
			sum, err := sha256File(f)
			if err != nil {
				fail(err)
			}
			sums = append(sums, sum+"  "+filepath.Base(f))
		}
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i][66:] < sums[j][66:] })
	if err := os.WriteFile(filepath.Join(*out, "SHA256SUMS"), []byte(strings.Join(sums, "\n")+"\n"), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("%d files and SHA256SUMS in %s\n", len(sums), *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dist:", err)
	os.Exit(1)
}

// build compiles a static, reproducible binary for one platform.
func build(goos, goarch, out, version, commit, date string) error {
	ld := fmt.Sprintf("-s -w -buildid= -X main.version=%s -X main.commit=%s -X main.buildDate=%s", version, commit, date)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ld, "-o", out, "./cmd/swarmwiz")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// licences is the NOTICE: the licence text of every module the platform's binary is built
// from, in module order.
func licences(goos, goarch string) ([]byte, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}", "./cmd/swarmwiz")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	mods := map[string][2]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) == 3 {
			mods[f[0]] = [2]string{f[1], f[2]}
		}
	}
	names := make([]string, 0, len(mods))
	for m := range mods {
		names = append(names, m)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("swarmwiz is built from these Go modules, under these licences.\n")
	for _, m := range names {
		fmt.Fprintf(&b, "\n==== %s %s\n\n", m, mods[m][0])
		text := ""
		for _, name := range []string{"LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "LICENCE"} {
			if t, err := os.ReadFile(filepath.Join(mods[m][1], name)); err == nil {
				text = string(t)
				break
			}
		}
		if text == "" {
			return nil, fmt.Errorf("no licence file in %s", mods[m][1])
		}
		b.WriteString(text)
	}
	return b.Bytes(), nil
}

type file struct {
	name string
	data []byte
	mode int64
}

func tarGz(files []file, stamp time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // no name, no time in the header
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: stamp, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zipped(files []file, stamp time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: stamp}
		h.SetMode(os.FileMode(f.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}
