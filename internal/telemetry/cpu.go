package telemetry

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessCPU is the user plus system CPU time this process has used so far
// (getrusage RUSAGE_SELF): benchmarks report it beside their wall time, to
// show where the machine's cores went.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times: 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcessCPUOf is the user plus system CPU time process pid has used so
// far, from /proc/<pid>/stat (Linux): a benchmark reads the Temporal
// server's before and after a run to price each workflow on the engine.
func ProcessCPUOf(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// the last ')'. utime and stime are fields 14 and 15 (1-based).
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the command name", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// CPUSince starts a measurement: the returned func reports the CPU time
// process pid has used since (Linux /proc). It reports 0 when pid is not
// positive or the process cannot be read, before or after: "not measured".
func CPUSince(pid int) func() time.Duration {
	if pid <= 0 {
		return func() time.Duration { return 0 }
	}
	start, err := ProcessCPUOf(pid)
	return func() time.Duration {
		now, err2 := ProcessCPUOf(pid)
		if err != nil || err2 != nil {
			return 0
		}
		return now - start
	}
}

// SelfCPUSince is CPUSince for this process, at getrusage's precision.
func SelfCPUSince() func() time.Duration {
	start := ProcessCPU()
	return func() time.Duration { return ProcessCPU() - start }
}
