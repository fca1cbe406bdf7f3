package datadir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// holdEnv makes the test binary a lock holder: it acquires the directory
// named by the variable, prints "locked" (or "error: ..."), and holds the
// lock until its stdin closes or it is killed.
const holdEnv = "GATEHOUSE_DATADIR_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		if err := l.Release(); err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holder is another process holding (or trying to hold) a directory.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	first string // the first line it printed
}

// startHolder re-executes the test binary as a lock holder of dir and
// returns once it has said whether it holds the lock.
func startHolder(t *testing.T, dir string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("holder printed %q: %v", line, err)
	}
	return &holder{cmd: cmd, stdin: stdin, first: strings.TrimSpace(line)}
}

// wantLocked fails unless err is a *LockedError naming pid.
func wantLocked(t *testing.T, err error, dir string, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) || le.PID != pid || le.Dir != dir {
		t.Fatalf("Acquire = %v, want a *LockedError for %s naming pid %d", err, dir, pid)
	}
	if want := "data directory " + dir + " is in use by another gatehouse node (pid " + strconv.Itoa(pid) + ", per " + filepath.Join(dir, LockFile) + ")"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}

func TestAcquireInProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created directory: %v, %v; want mode 0700", fi, err)
	}
	_, err = Acquire(dir)
	wantLocked(t, err, dir, os.Getpid())
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	l, err = Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
}

// TestAcquireAcrossProcesses: a directory held by another process is
// refused naming that process; the lock goes with the process when it is
// killed with SIGKILL, and the next holder writes its own pid.
func TestAcquireAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	h := startHolder(t, dir)
	if h.first != "locked" {
		t.Fatalf("holder: %s", h.first)
	}
	_, err := Acquire(dir)
	wantLocked(t, err, dir, h.cmd.Process.Pid)

	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Wait(); err == nil {
		t.Fatal("the holder exited cleanly; it was to be killed")
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("lock file = %q, %v; want this process's pid", b, err)
	}

	// And now the other process is the one refused, naming this one.
	other := startHolder(t, dir)
	want := "error: data directory " + dir + " is in use by another gatehouse node (pid " + strconv.Itoa(os.Getpid()) + ","
	if !strings.HasPrefix(other.first, want) {
		t.Fatalf("second process said %q, want %q…", other.first, want)
	}
}

// TestLockedErrorWithoutPID: a holder that has not written its pid yet
// (or an unreadable file) gives "pid unknown", not a wrong pid.
func TestLockedErrorWithoutPID(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, content := range []string{"", "garbage\n", "-5\n"} {
		if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Acquire(dir)
		var le *LockedError
		if !errors.As(err, &le) || le.PID != 0 || !strings.Contains(err.Error(), "(pid unknown,") {
			t.Errorf("lock file %q: Acquire = %v, want pid unknown", content, err)
		}
	}
}
