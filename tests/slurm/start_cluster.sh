#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine for the `slurm` tests (tests/test_slurm.py).
#
# Idempotent: installs the Debian packages if missing, writes /etc/slurm/slurm.conf (only if it is
# absent or was written by this script), starts munged, slurmctld and slurmd unless they already
# run, and waits until `sinfo` shows the node idle. Exits non-zero with a message if it cannot.
# Needs root (Debian/Ubuntu with apt). Stop everything with tests/slurm/stop_cluster.sh.
#
# Environment: SLURM_START_TIMEOUT (seconds to wait for an idle node, default 60).
set -euo pipefail

TIMEOUT=${SLURM_START_TIMEOUT:-60}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARK="# Written by xenoflow tests/slurm/start_cluster.sh (single-node test cluster)."
LOG_DIR=/var/log/slurm
PACKAGES=(slurmctld slurmd munge slurm-client)

say() { echo "start_cluster.sh: $*"; }
die() {
    echo "start_cluster.sh: ERROR: $*" >&2
    for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
        if [ -s "$f" ]; then echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; fi
    done
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts munged/slurmctld/slurmd)"

# 1. Packages -------------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
        # a fresh machine may have empty package lists
        if ! { apt-get update >>"$apt_log" 2>&1 &&
               apt-get install -y --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1; }; then
            tail -n 20 "$apt_log" >&2
            rm -f "$apt_log"
            die "apt-get install ${missing[*]} failed (output above)"
        fi
    fi
    rm -f "$apt_log"
fi
for cmd in munged slurmctld slurmd sinfo sbatch scontrol; do
    command -v "$cmd" >/dev/null || die "$cmd not found after installing ${PACKAGES[*]}"
done

# 2. slurm.conf for localhost ---------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9][0-9]*\).*/\1/p' | head -n 1)
if [ -z "$mem" ]; then
    mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
fi
[ -n "$mem" ] && [ "$mem" -gt 0 ] || die "could not read the machine's memory"

if [ -f "$CONF" ] && ! grep -qxF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to overwrite a real cluster's configuration"
fi
mkdir -p "$CONF_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd
new_conf=$(mktemp)
cat >"$new_conf" <<EOF
$MARK
ClusterName=xenoflow
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
# keep finished jobs visible to squeue for 5 minutes (the plugin polls with squeue)
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
restart=0
if ! cmp -s "$new_conf" "$CONF"; then
    install -m 0644 "$new_conf" "$CONF"
    restart=1
    say "wrote $CONF (node $host, CPUs=$cpus, RealMemory=$mem)"
fi
rm -f "$new_conf"

# 3. Daemons --------------------------------------------------------------------------------
# pid_alive FILE NAME: the pid in FILE is a running process called NAME
pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}
stop_pid() {  # stop_pid FILE NAME
    if pid_alive "$1" "$2"; then
        kill "$(cat "$1")"
        for _ in $(seq 50); do pid_alive "$1" "$2" || return 0; sleep 0.2; done
        die "$2 (pid $(cat "$1")) did not stop"
    fi
}

if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 0400 /etc/munge/munge.key
fi
mkdir -p /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "starting munged"
    munged --force || die "munged did not start"
    for _ in $(seq 25); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
    munge -n | unmunge >/dev/null || die "munge does not work (munge -n | unmunge failed)"
fi

if [ "$restart" -eq 1 ]; then   # a new configuration: restart daemons that run with the old one
    stop_pid /run/slurmd.pid slurmd
    stop_pid /run/slurmctld.pid slurmctld
fi
if ! pid_alive /run/slurmctld.pid slurmctld; then
    say "starting slurmctld"
    slurmctld || die "slurmctld did not start (see $LOG_DIR/slurmctld.log)"
fi
if ! pid_alive /run/slurmd.pid slurmd; then
    say "starting slurmd"
    slurmd || die "slurmd did not start (see $LOG_DIR/slurmd.log)"
fi

# 4. Wait for an idle node ------------------------------------------------------------------
deadline=$((SECONDS + TIMEOUT))
resumed=0
state=""
while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(timeout 10 sinfo --noheader --Node --nodes="$host" --format=%t 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle|mix|alloc)
            say "node $host is $state; partition debug ready (stop with tests/slurm/stop_cluster.sh)"
            exit 0 ;;
        down*|drain*|drng*|fail*|inval*)
            if [ "$resumed" -eq 0 ]; then   # e.g. state left over from a previous start
                scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
                resumed=1
            fi ;;
    esac
    sleep 1
done
reason=$(timeout 10 sinfo --noheader --Node --nodes="$host" --format='%t %E' 2>/dev/null || true)
die "node $host not idle after ${TIMEOUT}s (sinfo: '${reason:-no answer}')"
