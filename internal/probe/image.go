package probe

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"time"
)

// Repo is the probe image's repository name; its tag is the swarmwiz version.
const Repo = "swarmwiz-probe"

// Path is where the binary sits in the image: what `--probe-image` images must hold too.
const Path = "/swarmwiz"

// Image is the probe image made of one executable: a one-layer archive as `docker save`
// writes it, for `docker load` on every node.
type Image struct {
	Ref  string // swarmwiz-probe:VERSION
	ID   string // sha256 of its config: what a daemon reports once it has the image
	Arch string // the architecture it runs on, as `uname -m` says it

	layer, config []byte
	diffID        string // the layer's sha256, hex
	once          sync.Once
	archive       []byte
}

// NotStaticError is an executable that needs a dynamic loader: it cannot run in an image
// that holds nothing but itself.
type NotStaticError struct{ Interp string }

func (e *NotStaticError) Error() string {
	return "this swarmwiz binary is dynamically linked (it needs " + e.Interp + ")"
}

// machines maps ELF machines to `uname -m`'s names.
var machines = map[elf.Machine]string{
	elf.EM_X86_64: "x86_64", elf.EM_AARCH64: "aarch64", elf.EM_386: "i686", elf.EM_ARM: "armv7l",
	elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64",
}

// goarch maps `uname -m`'s names to the image config's architecture.
var goarch = map[string]string{
	"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386", "i386": "386",
	"armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

// SameArch says whether a node whose `uname -m` is machine runs an image built for arch.
func SameArch(arch, machine string) bool {
	return goarch[arch] != "" && goarch[arch] == goarch[machine]
}

var badTag = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// FromExecutable packs the executable at path as the probe image for version.
func FromExecutable(path, version string) (*Image, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return nil, fmt.Errorf("%s is not a Linux executable: %w", path, err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(p.Open())
			return nil, &NotStaticError{Interp: string(bytes.TrimRight(interp, "\x00"))}
		}
	}
	arch := machines[f.Machine]
	if arch == "" {
		return nil, fmt.Errorf("%s: no image for machine %s", path, f.Machine)
	}
	img := &Image{Ref: Ref(version), Arch: arch}
	return img, img.pack(bin, version)
}

// Ref is the probe image of swarmwiz version: swarmwiz-probe:VERSION, as a docker tag allows.
func Ref(version string) string {
	tag := badTag.ReplaceAllString(version, "_")
	if len(tag) > 120 {
		tag = tag[:120]
	}
	if tag == "" || tag[0] == '.' || tag[0] == '-' {
		tag = "v_" + tag
	}
	return Repo + ":" + tag
}

// epoch is every date in the image: the same binary always makes the same image ID.
var epoch = time.Unix(0, 0).UTC()

func (img *Image) pack(bin []byte, version string) error {
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	for _, h := range []*tar.Header{
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 01777, ModTime: epoch},
		{Name: Path[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: epoch},
	} {
		if err := lw.WriteHeader(h); err != nil {
			return err
		}
	}
	lw.Write(bin)
	if err := lw.Close(); err != nil {
		return err
	}
	diff := sha256.Sum256(layer.Bytes())
	config, err := json.Marshal(map[string]any{
		"architecture": goarch[img.Arch], "os": "linux", "created": epoch,
		"config": map[string]any{
			"Entrypoint": []string{Path, "probe", "serve"},
			"Env":        []string{"PATH=/"},
			"Labels":     map[string]string{"org.swarmwiz.probe": version},
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diff[:])}},
		"history": []map[string]any{{"created": epoch, "created_by": "swarmwiz: the swarmwiz binary, as the probe of swarmwiz check"}},
	})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(config)
	img.ID = "sha256:" + hex.EncodeToString(sum[:])
	img.layer, img.config, img.diffID = layer.Bytes(), config, hex.EncodeToString(diff[:])
	return nil
}

// Archive is the image as `docker save` writes it, gzipped. It is made on first use only: a
// check whose nodes all have the image already (the ID tells) never spends the time.
func (img *Image) Archive() []byte {
	img.once.Do(func() {
		id := img.ID[len("sha256:"):]
		layerName := img.diffID + "/layer.tar"
		manifest, _ := json.Marshal([]map[string]any{{"Config": id + ".json", "RepoTags": []string{img.Ref}, "Layers": []string{layerName}}})
		// Compressed, since it crosses the network to every node (a workshop's Wi-Fi): docker
		// load takes a gzipped archive as it is. Writing to memory cannot fail.
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		for _, f := range []struct {
			name string
			data []byte
		}{{id + ".json", img.config}, {layerName, img.layer}, {"manifest.json", manifest}} {
			tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch, Typeflag: tar.TypeReg})
			tw.Write(f.data)
		}
		tw.Close()
		zw.Close()
		img.archive = gz.Bytes()
	})
	return img.archive
}
