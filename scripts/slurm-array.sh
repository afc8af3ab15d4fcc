#!/bin/bash
# slurm-array.sh — a survey on a Slurm cluster: one array task per shard of the domain list, each
# an ordinary `mxsurvey scan --shard i/N` into its own database, then one job that merges them.
#
#   scripts/slurm-array.sh DOMAINS CAMPAIGN OUTDIR [CONFIG]
#
# Run on the login node, it submits itself twice: the array (tasks 0..N-1) and the merge, which
# waits for the whole array (--dependency=afterok). OUTDIR must be on a file system every node
# sees; it ends with OUTDIR/shard-<i>.db and the merged OUTDIR/CAMPAIGN.db. Then:
#   mxsurvey export --db OUTDIR/CAMPAIGN.db --campaign CAMPAIGN --format csv > CAMPAIGN.csv
#
# Environment: MXS_SHARDS (default 16), MXSURVEY (default: mxsurvey on PATH), and any sbatch
# option through SBATCH_* variables (e.g. SBATCH_PARTITION). A shard is FNV-1a-64 of the
# normalised domain mod N (see `mxsurvey scan --help`): every task reads the whole list and keeps
# its own lines, so the list needs no splitting. A task that is requeued or re-run starts its
# shard again from an empty database: a shard's database is whole or absent.
#SBATCH --job-name=mxsurvey
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=24:00:00
#SBATCH --output=mxsurvey-%A_%a.out
#SBATCH --requeue
set -euo pipefail

if [ $# -lt 3 ]; then
	sed -n '2,17s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
DOMAINS=$(realpath "$1")
CAMPAIGN=$2
OUT=$(realpath -m "$3")
CONFIG=${4:+$(realpath "$4")}
N=${MXS_SHARDS:-16}
MXSURVEY=${MXSURVEY:-mxsurvey}
config_opt=()
[ -n "$CONFIG" ] && config_opt=(-c "$CONFIG")

step=shard
if [ -z "${SLURM_JOB_ID:-}" ]; then
	step=submit
elif [ "${MXS_STEP:-}" = merge ]; then
	step=merge
fi

case $step in
submit)
	mkdir -p "$OUT"
	script=$(realpath "$0")
	array=$(sbatch --parsable --array="0-$((N - 1))" --export="ALL,MXS_SHARDS=$N" \
		"$script" "$DOMAINS" "$CAMPAIGN" "$OUT" ${CONFIG:+"$CONFIG"})
	merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" --job-name=mxsurvey-merge \
		--output="mxsurvey-merge-%j.out" --export="ALL,MXS_SHARDS=$N,MXS_STEP=merge" \
		"$script" "$DOMAINS" "$CAMPAIGN" "$OUT" ${CONFIG:+"$CONFIG"})
	echo "shards: job $array (tasks 0-$((N - 1))); merge: job $merge -> $OUT/$CAMPAIGN.db"
	;;
shard)
	i=${SLURM_ARRAY_TASK_ID:?not an array task}
	db=$OUT/shard-$i.db
	rm -f "$db" "$db-wal" "$db-shm" # a re-run starts the shard again
	rc=0
	"$MXSURVEY" scan "${config_opt[@]}" --shard "$i/$N" -f "$DOMAINS" --db "$db" \
		--campaign "$CAMPAIGN" --format jsonl --no-progress >/dev/null || rc=$?
	# 1: done, but some lines were not domain names (they have an "invalid" result).
	[ "$rc" -le 1 ] || exit "$rc"
	echo "shard $i/$N: $(sqlite3 "$db" 'SELECT COUNT(*) FROM results' 2>/dev/null || echo '?') results"
	;;
merge)
	shards=()
	for ((i = 0; i < N; i++)); do
		[ -f "$OUT/shard-$i.db" ] || { echo "shard $i is missing" >&2; exit 3; }
		shards+=("$OUT/shard-$i.db")
	done
	rm -f "$OUT/$CAMPAIGN.db" "$OUT/$CAMPAIGN.db-wal" "$OUT/$CAMPAIGN.db-shm"
	"$MXSURVEY" merge "$OUT/$CAMPAIGN.db" "${shards[@]}"
	"$MXSURVEY" status --db "$OUT/$CAMPAIGN.db" --campaign "$CAMPAIGN"
	;;
esac
