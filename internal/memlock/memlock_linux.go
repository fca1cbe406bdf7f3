package memlock

import (
	"errors"

	"golang.org/x/sys/unix"
)

// lockAll locks every page of the process as it is first touched
// (MCL_ONFAULT): nothing is populated ahead of use, so the runtime's
// address-space reservations cost no memory. Tests replace it.
var lockAll = func() error {
	return unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
}

var unlockAll = unix.Munlockall

func explain(err error) string {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOMEM):
		return "mlockall: " + err.Error() + " (needs CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK, e.g. systemd LimitMEMLOCK=infinity; --lock-memory=off does without)"
	case errors.Is(err, unix.EINVAL):
		return "mlockall: " + err.Error() + " (this kernel may predate MCL_ONFAULT, Linux 4.4)"
	}
	return "mlockall: " + err.Error()
}
