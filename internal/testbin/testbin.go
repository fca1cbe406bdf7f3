package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// GoTool is the go command: $GOROOT/bin/go when GOROOT is set (go test
// sets it for the test binary), else the one on PATH.
func GoTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return "go"
}

// BuildTo builds pkg (an import path, built in workDir, or an absolute
// directory) into the file out, without cgo and without the race
// detector whatever the test runs with (a program is run as it is
// released).
func BuildTo(out, pkg, workDir string) error {
	target := pkg
	if filepath.IsAbs(pkg) {
		workDir, target = pkg, "."
	}
	cmd := exec.Command(GoTool(), "build", "-o", out, target)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

// Build builds pkg (an import path of this module or of go.mod's
// requirements and tools) into the test's temporary directory and
// returns the binary's path; a failed build fails the test.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := BuildTo(out, pkg, ""); err != nil {
		t.Fatal(err)
	}
	return out
}
