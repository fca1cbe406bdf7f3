package memlock

import (
	"errors"

	"golang.org/x/sys/unix"
)

// lockAll locks every page the process maps, now and later, and makes
// them resident (the runtime's PROT_NONE reservations stay unpopulated).
// Locking pages only as they are first touched (MCL_ONFAULT) costs less
// memory; in the 1M-key bench its p99 moved +6 and +8 % against a 1k-key
// node, locking up front −2 to +8 %: no clear difference on a noisy VM.
// A race-detector build maps terabytes of shadow memory, which must not
// be populated: there pages are locked as they are touched. Tests replace
// lockAll.
var lockAll = func() error {
	flags := unix.MCL_CURRENT | unix.MCL_FUTURE
	if raceEnabled {
		flags |= unix.MCL_ONFAULT
	}
	return unix.Mlockall(flags)
}

var unlockAll = unix.Munlockall

func explain(err error) string {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOMEM):
		return "mlockall: " + err.Error() + " (needs CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK, e.g. systemd LimitMEMLOCK=infinity; --lock-memory=off does without)"
	case errors.Is(err, unix.EINVAL):
		return "mlockall: " + err.Error() + " (race-detector builds lock with MCL_ONFAULT, which needs Linux 4.4)"
	}
	return "mlockall: " + err.Error()
}
