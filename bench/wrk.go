package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ensureWrk makes sure wrk is on PATH, installing Debian's package when
// running as root, and returns its version line.
func ensureWrk(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Geteuid() != 0 {
			return "", fmt.Errorf("wrk is not on PATH and bench is not running as root: install it (Debian: apt-get install -y wrk) and run again")
		}
		fmt.Println("wrk not found; installing it: apt-get update && apt-get install -y wrk")
		for _, argv := range [][]string{{"apt-get", "update"}, {"apt-get", "install", "-y", "wrk"}} {
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
			}
		}
		if _, err := exec.LookPath("wrk"); err != nil {
			return "", fmt.Errorf("wrk still not on PATH after apt-get install wrk: %w", err)
		}
	}
	// wrk -v prints its version and exits with status 1.
	out, _ := exec.CommandContext(ctx, "wrk", "-v").CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return line, nil
}

// wrkScript round-robins the x-api-key header over the keys in the file
// given as its first argument, each wrk thread starting at its own offset
// (thread i of t at key i·n/t), and sends the method and body given as the
// second and third arguments (an empty body sends none). done() prints one
// machine-readable line, resultPrefix followed by key=value fields; the
// latency figures are wrk's, in microseconds.
//
// The keys file holds keys of one length, one per line. It is kept as one
// Lua string and each key cut out of it when sent: a table of a million
// strings would make every LuaJIT GC cycle walk a million objects, and
// those pauses in wrk's threads show up as server latency (p99 of 100 ms
// instead of 9 ms against the same upstream).
const wrkScript = `
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local all, width, n, i, method, body, headers

function init(args)
  local f = assert(io.open(args[1], "rb"))
  all = f:read("*a")
  f:close()
  width = all:find("\n", 1, true)
  assert(width and width > 1, "no keys in " .. args[1])
  assert(#all % width == 0, "keys in " .. args[1] .. " are not all " .. (width - 1) .. " characters")
  n = #all / width
  method = args[2]
  body = args[3]
  if body == "" then body = nil end
  local threads = tonumber(args[4])
  i = math.floor(tid * n / threads)
  headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  if body then headers["Content-Type"] = "application/json" end
end

function request()
  local s = i * width + 1
  i = (i + 1) % n
  headers["x-api-key"] = all:sub(s, s + width - 2)
  return wrk.format(method, wrk.path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
`

const resultPrefix = "BENCH_RESULT "

// wrkRun is one wrk run against one target.
type wrkRun struct {
	Requests    int64   `json:"requests"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"rps"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	MaxUs       float64 `json:"max_us"`
	StatusErrs  int64   `json:"status_errors"` // responses with status ≥ 400, as wrk counts them
	SocketErrs  int64   `json:"socket_errors"` // connect + read + write + timeout
	SocketError string  `json:"socket_error_detail,omitempty"`
	// CPUus is the CPU time (user + system) the target's server process
	// used during the run, per request, in microseconds: 0 when unknown.
	// It is steadier than req/s on a shared machine, and it shows where a
	// throughput gap comes from.
	CPUus float64 `json:"server_cpu_us_per_request,omitempty"`
}

// clean reports whether the run had no error response and no socket error.
func (r wrkRun) clean() bool { return r.StatusErrs == 0 && r.SocketErrs == 0 }

// wrkConfig is how wrk is run.
type wrkConfig struct {
	Threads     int
	Connections int
	Script      string // path of wrkScript
	KeysFile    string
	CPUs        string // taskset CPU list, "" for none
}

// run runs wrk for d against url with method and body, and parses the
// script's result line. wrk runs in its own process group and is killed
// with it when ctx ends.
func (c wrkConfig) run(ctx context.Context, url, method, body string, d time.Duration) (wrkRun, error) {
	secs := int(d.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	argv := withCPUs(c.CPUs, []string{"wrk",
		"-t" + strconv.Itoa(c.Threads), "-c" + strconv.Itoa(c.Connections),
		"-d" + strconv.Itoa(secs) + "s", "--latency", "-s", c.Script, url,
		"--", c.KeysFile, method, body, strconv.Itoa(c.Threads)})
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = groupAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return wrkRun{}, errInterrupted
		}
		return wrkRun{}, fmt.Errorf("wrk %s: %w\n%s", url, err, out.String())
	}
	r, err := parseWrk(out.String())
	if err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %w\n%s", url, err, out.String())
	}
	return r, nil
}

// parseWrk finds the script's result line in wrk's output.
func parseWrk(out string) (wrkRun, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), resultPrefix)
		if !ok {
			continue
		}
		f := map[string]float64{}
		for _, kv := range strings.Fields(line) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return wrkRun{}, fmt.Errorf("result field %q is not key=value", kv)
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return wrkRun{}, fmt.Errorf("result field %s: %w", k, err)
			}
			f[k] = x
		}
		for _, k := range []string{"requests", "duration_us", "p50_us", "p99_us", "max_us", "status_errors", "connect", "read", "write", "timeout"} {
			if _, ok := f[k]; !ok {
				return wrkRun{}, fmt.Errorf("result line lacks %s", k)
			}
		}
		r := wrkRun{
			Requests:   int64(f["requests"]),
			Seconds:    f["duration_us"] / 1e6,
			P50us:      f["p50_us"],
			P99us:      f["p99_us"],
			MaxUs:      f["max_us"],
			StatusErrs: int64(f["status_errors"]),
			SocketErrs: int64(f["connect"] + f["read"] + f["write"] + f["timeout"]),
		}
		if r.Seconds > 0 {
			r.RPS = float64(r.Requests) / r.Seconds
		}
		if r.SocketErrs > 0 {
			r.SocketError = fmt.Sprintf("connect %.0f, read %.0f, write %.0f, timeout %.0f", f["connect"], f["read"], f["write"], f["timeout"])
		}
		return r, nil
	}
	return wrkRun{}, fmt.Errorf("no %q line in wrk's output", strings.TrimSpace(resultPrefix))
}
