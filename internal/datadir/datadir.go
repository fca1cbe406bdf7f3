package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name of the lock file inside a data directory.
const LockFile = "gatehouse.lock"

// Lock is a held data directory lock.
type Lock struct {
	f   *os.File
	dir string
}

// LockedError says that another process holds the directory.
type LockedError struct {
	Dir  string // the directory, as given to Acquire
	File string // its lock file
	// PID is the holder's process id as it wrote it (0: unknown; a
	// holder in another PID namespace, a container, wrote its own).
	PID int
}

func (e *LockedError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by another gatehouse node (%s, per %s): "+
		"stop that node first, or give this one another data directory", e.Dir, pid, e.File)
}

// Acquire creates dir (mode 0700) if needed and takes its lock without
// waiting. It fails with a *LockedError when another process, or another
// Acquire in this one, holds it.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errHeld) {
			return nil, &LockedError{Dir: dir, File: path, PID: readPID(f)}
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return &Lock{f: f, dir: dir}, nil
}

// Dir returns the locked directory, as given to Acquire.
func (l *Lock) Dir() string { return l.dir }

// Release releases the lock. The lock file stays (removing it would let a
// process that opened it just before hold a lock on a deleted file while
// a third one locks a new file of the same name).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := errors.Join(unlock(l.f), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("release data directory lock: %w", err)
	}
	return nil
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID reads the pid a holder wrote; 0 when there is none (yet).
func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
