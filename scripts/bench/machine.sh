#!/usr/bin/env bash
# Print the machine description that goes beside every figure in BENCHMARKS.md.
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:   $(nproc)"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "ram:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
dev=$(df --output=source "${1:-$HOME}" | tail -1)
echo "disk:    $(df -h --output=fstype,size "${1:-$HOME}" | tail -1 | tr -s ' ') on $dev (virtual disk, lsblk ROTA=$(lsblk -dno ROTA "$dev" 2>/dev/null | tr -d ' '))"
echo "kernel:  $(uname -sr)"
echo "rustc:   $(rustc --version 2>/dev/null)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min load average at start)"
