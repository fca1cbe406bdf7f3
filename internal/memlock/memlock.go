package memlock

import (
	"errors"
	"fmt"
)

// Mode says whether to lock memory.
type Mode string

// Modes, as --lock-memory takes them.
const (
	Auto     Mode = "auto" // lock when allowed; otherwise report why and go on
	Required Mode = "on"   // lock, or fail
	Off      Mode = "off"  // do not lock
)

// ParseMode reads a --lock-memory value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Auto, Required, Off:
		return m, nil
	}
	return "", fmt.Errorf("%q is not a memory lock mode (auto, on, off)", s)
}

// ErrUnsupported means this system cannot lock a process's memory.
var ErrUnsupported = errors.New("memory locking is not supported on this system")

// Lock locks the process's memory as m says. It reports whether memory is
// locked; when it is not, reason says why (empty for Off). It returns an
// error only in Required mode.
func Lock(m Mode) (locked bool, reason string, err error) {
	if m == Off {
		return false, "", nil
	}
	if err := lockAll(); err != nil {
		reason = explain(err)
		if m == Required {
			return false, reason, fmt.Errorf("lock memory: %s", reason)
		}
		return false, reason, nil
	}
	return true, "", nil
}

// Unlock undoes Lock.
func Unlock() error { return unlockAll() }
