package memlock

import (
	"errors"

	"golang.org/x/sys/unix"
)

// lockAll locks every page the process maps, now and later, as it is first
// touched (MCL_ONFAULT, Linux 4.4). Tests replace it.
//
// Not up front: the kernel refuses madvise on locked pages, so the Go
// runtime returns freed heap memory by mapping the range afresh, and with
// every future mapping made resident at once that remapping zero-filled
// the whole range again: the memory never left, and each release cost a
// fault per page. A million-key node restarted under load took 12,000 to
// 28,000 such faults every 5 s for its first 25 s and kept the 800 MB of
// its load's peak resident for good. Locked as touched, a remapped range
// is simply gone until the heap reuses it: about 50 faults every 5 s, and
// 300 MB resident 10 s after the load. (It also keeps a race-detector
// build's terabytes of shadow memory unpopulated.)
var lockAll = func() error {
	return unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE | unix.MCL_ONFAULT)
}

var unlockAll = unix.Munlockall

func explain(err error) string {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOMEM):
		return "mlockall: " + err.Error() + " (needs CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK, e.g. systemd LimitMEMLOCK=infinity; --lock-memory=off does without)"
	case errors.Is(err, unix.EINVAL):
		return "mlockall: " + err.Error() + " (locking pages as they are touched, MCL_ONFAULT, needs Linux 4.4)"
	}
	return "mlockall: " + err.Error()
}
