package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process started in its own process group, with its
// output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// procs starts child processes and stops them all, group by group.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// groupAttr puts a child in its own process group (so that a terminal's
// Ctrl-C reaches only bench, which then stops the group) and kills it if
// bench dies without cleaning up.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// withCPUs prefixes argv with taskset when cpus is not empty.
func withCPUs(cpus string, argv []string) []string {
	if cpus == "" {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}

// Log limits: a child's log keeps its first logHead bytes and its last
// logTail bytes. Gatehouse writes an access log line per request, which
// would otherwise grow by hundreds of megabytes per benchmark.
const (
	logHead = 4 << 20
	logTail = 256 << 10
)

// start starts argv (pinned to cpus when not empty) with stdout and stderr
// going to logPath, capped (see logHead).
func (ps *procs) start(name, logPath, cpus string, argv ...string) (*proc, error) {
	argv = withCPUs(cpus, argv)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	log := &cappedLog{f: f, head: logHead, tail: make([]byte, 0, logTail)}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = groupAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// cappedLog writes the first head bytes to f, then keeps only the last
// cap(tail) bytes, which Close appends after a note of how much was left
// out. exec.Cmd serialises writes when Stdout and Stderr are the same
// writer, so it needs no lock.
type cappedLog struct {
	f       *os.File
	head    int
	written int
	tail    []byte
	dropped int64
}

func (l *cappedLog) Write(p []byte) (int, error) {
	n := len(p)
	if l.written < l.head {
		k := min(len(p), l.head-l.written)
		if _, err := l.f.Write(p[:k]); err != nil {
			return 0, err
		}
		l.written += k
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	room := cap(l.tail)
	if len(p) >= room {
		l.dropped += int64(len(l.tail) + len(p) - room)
		l.tail = append(l.tail[:0], p[len(p)-room:]...)
		return n, nil
	}
	if over := len(l.tail) + len(p) - room; over > 0 {
		l.dropped += int64(over)
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	l.tail = append(l.tail, p...)
	return n, nil
}

// Close writes the kept tail and closes the file.
func (l *cappedLog) Close() error {
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "\n[bench: %d bytes of output left out here]\n", l.dropped)
	}
	l.f.Write(l.tail)
	return l.f.Close()
}

// stopAll sends SIGTERM to every child's process group, waits up to grace
// for them to exit, then sends SIGKILL to the groups still running.
func (ps *procs) stopAll(grace time.Duration) {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for _, p := range list {
		if !p.exited() {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.After(grace)
	for _, p := range list {
		select {
		case <-p.done:
		case <-deadline:
		}
		if !p.exited() {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
}

// waitHTTP polls url until it answers with status want (any status when
// want is 0), the process exits, ctx ends or timeout passes.
func waitHTTP(ctx context.Context, p *proc, url string, want int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready (%v); see %s", p.name, p.err, p.log)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after %v (last: %s); see %s", p.name, url, timeout, last, p.log)
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, for a child that must be told its port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return addr, nil
}

// errInterrupted is returned when bench was asked to stop.
var errInterrupted = errors.New("interrupted")

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 for every architecture's user-space ABI.
const userHZ = 100

// cpuTime is the CPU time (user + system) the process pid has used so far,
// or -1 when it cannot be read (not Linux, or the process is gone).
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	return parseCPUTime(string(b))
}

// parseCPUTime reads utime and stime (fields 14 and 15) from the text of a
// /proc/<pid>/stat file; -1 when they are not there. The command name
// (field 2) is in parentheses and may itself hold spaces and parentheses,
// so fields are counted from the last ')'.
func parseCPUTime(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || utime < 0 || stime < 0 {
		return -1
	}
	return time.Duration(utime+stime) * time.Second / userHZ
}
