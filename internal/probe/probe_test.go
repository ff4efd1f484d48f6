package probe

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A tester reaches a serving probe with small and large payloads over TCP and UDP; a peer
// where nothing listens fails, and its large payloads are not tried; DNS that does not list
// a peer is named.
func TestServeAndTest(t *testing.T) {
	EchoPort, HTTPPort, Timeout, Settle, listenHost = freePort(t), freePort(t), 600*time.Millisecond, time.Second, "127.0.0.1"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, "node1")
	time.Sleep(100 * time.Millisecond)
	if resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(HTTPPort) + "/"); err != nil {
		t.Errorf("hello page: %v", err)
	} else if b, _ := io.ReadAll(resp.Body); string(b) != "hello from node1\n" {
		t.Errorf("hello page says %q", b)
	}
	rep := Test(ctx, "node2", "swarmwiz-check-test.invalid", []Peer{{"node1", "127.0.0.1"}, {"node3", "127.0.0.2"}})
	if rep.Node != "node2" || len(rep.Links) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	up, down := rep.Links[0], rep.Links[1]
	if up.TCP != "" || up.TCPLarge != "" || up.UDP != "" || up.UDPLarge != "" {
		t.Errorf("the serving peer must pass every payload: %+v", up)
	}
	if !strings.Contains(up.DNS, "does not list 127.0.0.1") || up.OK() {
		t.Errorf("a peer DNS does not list must fail on DNS: %+v", up)
	}
	if !strings.Contains(down.TCP, "no connection") || down.TCPLarge != NotTried || down.UDP == "" || down.UDPLarge != NotTried {
		t.Errorf("a peer where nothing listens: %+v", down)
	}
	var b bytes.Buffer
	rep.Encode(&b)
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Links) != 2 {
		t.Errorf("the report does not round-trip: %v %s", err, b.String())
	}
}

// The image is the executable alone, in an archive docker load takes: one layer, its digest
// in the config, the tag in the manifest; the same binary makes the same image ID. A
// dynamically linked binary is refused with its loader named.
func TestImageFromExecutable(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644)
	exe := filepath.Join(dir, "tiny")
	build := exec.Command("go", "build", "-o", exe, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	img, err := FromExecutable(exe, "v1.2+dev")
	if err != nil {
		t.Fatal(err)
	}
	if img.Ref != "swarmwiz-probe:v1.2_dev" {
		t.Errorf("ref %q", img.Ref)
	}
	files := map[string][]byte{}
	zr, err := gzip.NewReader(bytes.NewReader(img.Archive()))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 || len(manifest[0].Layers) != 1 {
		t.Fatalf("manifest: %v %s", err, files["manifest.json"])
	}
	config := files[manifest[0].Config]
	sum := sha256.Sum256(config)
	if "sha256:"+hex.EncodeToString(sum[:]) != img.ID || manifest[0].RepoTags[0] != img.Ref {
		t.Errorf("the image ID is not its config's digest, or the tag is wrong: %s %v", img.ID, manifest[0].RepoTags)
	}
	layer := files[manifest[0].Layers[0]]
	lsum := sha256.Sum256(layer)
	if !bytes.Contains(config, []byte(hex.EncodeToString(lsum[:]))) || !bytes.Contains(config, []byte(`"Entrypoint":["/swarmwiz","probe","serve"]`)) {
		t.Errorf("config does not name its layer's digest or the entrypoint: %s", config)
	}
	lr := tar.NewReader(bytes.NewReader(layer))
	var names []string
	for h, err := lr.Next(); err == nil; h, err = lr.Next() {
		names = append(names, h.Name)
	}
	if strings.Join(names, " ") != "tmp/ swarmwiz" {
		t.Errorf("layer holds %v", names)
	}
	again, _ := FromExecutable(exe, "v1.2+dev")
	if again.ID != img.ID {
		t.Errorf("the same binary made two image IDs")
	}
	if !SameArch(img.Arch, "x86_64") && !SameArch(img.Arch, "aarch64") || SameArch("x86_64", "aarch64") {
		t.Errorf("arch %q", img.Arch)
	}

	_, err = FromExecutable("/bin/sh", "v1")
	var ns *NotStaticError
	if !errors.As(err, &ns) || !strings.Contains(ns.Interp, "ld-") {
		t.Errorf("a dynamic binary must be refused with its loader named: %v", err)
	}
}
