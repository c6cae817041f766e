#!/usr/bin/env bash
# Scores a pipeline's score stage as N Slurm array tasks, then merges the shards and writes the
# report in one more job that starts when every task has succeeded:
#   configs/slurm/submit_sharded.sh PIPELINE.yaml N OUT_DIR [key=value ...]
# The shards land in <run.out_dir>-shard-<i>-of-N (run.out_dir from the pipeline or an
# override), the merged run in OUT_DIR. Set NAS to the nas binary (default: build/bin/nas).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PIPELINE.yaml N OUT_DIR [key=value ...]" >&2
  exit 2
fi
pipeline=$1 count=$2 out=$3
shift 3
case $count in '' | *[!0-9]* | 0) echo "$0: N must be a positive number, not '$count'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
NAS=${NAS:-build/bin/nas}
# The shard directories follow run.out_dir as the pipeline resolves it (with the overrides).
out_dir=$("$NAS" run "$pipeline" "$@" --print-out-dir)
array=$(sbatch --parsable --array=0-$((count - 1)) --export=ALL,NAS="$NAS" \
  "$here/score_shard.sbatch" "$pipeline" "$@")
shards=()
for ((i = 0; i < count; i++)); do shards+=("$out_dir-shard-$i-of-$count"); done
merge=$(sbatch --parsable --dependency=afterok:"$array" --job-name=nas-merge \
  --cpus-per-task=1 --time=00:30:00 --output=nas-merge-%j.out \
  --wrap="$(printf '%q ' "$NAS" merge "$out" "${shards[@]}")")
echo "shards: job array $array ($count tasks); merge: job $merge into $out"
