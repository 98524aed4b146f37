#!/usr/bin/env bash
# Emulates `sbatch --array=1-N pipeline_array.sbatch` on one machine: seeds
# the raw data once, starts N task processes together (SLURM_ARRAY_TASK_ID
# 1..N, as SLURM sets it) against the catalog in $SCIDB_CATALOG with the
# payload folder $SCIDB_DATA, waits for all of them, then prints the jobs
# table (status.py). Exits non-zero when a task failed or a job is not done.
#
#   SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb examples/slurm/run_local.sh 4
#   examples/slurm/run_local.sh 4 octave      the MATLAB/Octave tasks (pipeline_task.m)
#
# PYTHON (python3) and OCTAVE (octave-cli) name the interpreters; the
# final report uses Python either way. Each task's output goes to
# $SCIDB_LOGS/task-I.log (default: a new temporary folder) and is printed
# when the tasks are done.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:?usage: run_local.sh N [python|octave]}
lang=${2:-python}
: "${SCIDB_CATALOG:?set SCIDB_CATALOG to the catalog URL}"
: "${SCIDB_DATA:?set SCIDB_DATA to the payload folder}"
PYTHON=${PYTHON:-python3}
OCTAVE=${OCTAVE:-octave-cli}
logs=${SCIDB_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/scidb-array.XXXXXX")}
mkdir -p "$logs"
export SCIDB_CATALOG SCIDB_DATA SLURM_ARRAY_JOB_ID="local-$$" SLURM_ARRAY_TASK_COUNT="$n"
cd "$here"

case "$lang" in
  python) seed=("$PYTHON" seed.py); task=("$PYTHON" pipeline_task.py) ;;
  octave) seed=("$OCTAVE" --no-gui --norc --quiet seed.m); task=("$OCTAVE" --no-gui --norc --quiet pipeline_task.m) ;;
  *) echo "run_local.sh: the language is python or octave, not '$lang'" >&2; exit 2 ;;
esac

"${seed[@]}" || { echo "run_local.sh: seeding failed" >&2; exit 1; }
pids=()
for i in $(seq 1 "$n"); do
  SLURM_ARRAY_TASK_ID=$i "${task[@]}" >"$logs/task-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in $(seq 1 "$n"); do
  if ! wait "${pids[$((i - 1))]}"; then
    echo "run_local.sh: task $i failed (log: $logs/task-$i.log)" >&2
    failed=1
  fi
done
cat "$logs"/task-*.log
"$PYTHON" status.py || failed=1
exit "$failed"
