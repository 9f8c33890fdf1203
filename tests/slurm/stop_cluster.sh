#!/usr/bin/env bash
# Stop the single-node test cluster started by tests/slurm/start_cluster.sh: slurmd, slurmctld,
# munged (by their pid files). Idempotent; the packages and /etc/slurm/slurm.conf stay.
set -euo pipefail

[ "$(id -u)" -eq 0 ] || { echo "stop_cluster.sh: must run as root" >&2; exit 1; }

status=0
# stop NAME PIDFILE: terminate the process in PIDFILE if it is NAME, and wait up to 10 s for it
stop() {
    local name=$1 file=$2 pid
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ] || return 0
    echo "stop_cluster.sh: stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        [ -r "/proc/$pid/comm" ] || return 0
        sleep 0.2
    done
    echo "stop_cluster.sh: $name (pid $pid) is still running" >&2
    status=1
}
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
exit "$status"
