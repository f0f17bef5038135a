package telemetry

import (
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
