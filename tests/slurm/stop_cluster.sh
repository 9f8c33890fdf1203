#!/usr/bin/env bash
# Stop the single-node test cluster started by tests/slurm/start_cluster.sh: slurmd, slurmctld,
# munged (by their pid files), then removes /etc/slurm/slurm.conf if start_cluster.sh wrote it.
# Idempotent; the packages stay.
#
# Why remove the configuration: with a slurm.conf naming a controller that no longer runs, every
# `scontrol` call waits ~9 s for it, and Snakemake's SLURM executor plugin runs `scontrol show
# config` when it is imported, i.e. at the start of every `snakemake` command on this machine.
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

CONF=/etc/slurm/slurm.conf
MARK="# Written by xenoflow tests/slurm/start_cluster.sh (single-node test cluster)."
if [ "$status" -eq 0 ] && [ -f "$CONF" ] && grep -qxF "$MARK" "$CONF"; then
    echo "stop_cluster.sh: removing $CONF (written by start_cluster.sh)"
    rm -f "$CONF"
fi
exit "$status"
