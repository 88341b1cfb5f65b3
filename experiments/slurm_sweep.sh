#!/usr/bin/env bash
# Trains a population on a Slurm cluster: `rnnatlas sweep` spread over the MPI ranks of one job.
#
#   sbatch experiments/slurm_sweep.sh experiments/flip_flop_paper.toml /shared/runs/flip_flop_paper
#
# - DIR must be on a file system that every node mounts (NFS, Lustre, GPFS, BeeGFS, ...): every
#   rank writes the networks it trains into DIR/networks, and rank 0 writes DIR/manifest.csv and
#   holds DIR/.lock with flock(2) (Lustre: mounted with -o flock).
# - rnnatlas must be built with MPI (CMake lists "MPI_sweeps" among the enabled features, and
#   `rnnatlas sweep --help` says "This build: with MPI.") against the MPI library the nodes run.
# - Ranks: one per core is the usual choice (--ntasks, --cpus-per-task=1). With fewer, fatter
#   ranks, --cpus-per-task=T gives each rank T threads (-j T below).
# - Resume: submit the same command again. Finished networks are kept (a job killed at its time
#   limit loses only the networks in flight), so a population longer than the time limit is a
#   chain of identical jobs; with the same --job-name, --dependency=singleton runs them one after
#   the other, and the ones that start after the population is complete exit at once:
#
#     for i in 1 2 3; do
#       sbatch --dependency=singleton experiments/slurm_sweep.sh CONFIG DIR
#     done
#
#   Watch the progress with `tail -f rnnatlas-sweep-<jobid>.out` or `rnnatlas summary DIR`.
#
#SBATCH --job-name=rnnatlas-sweep
#SBATCH --ntasks=64
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=1G
#SBATCH --time=04:00:00
#SBATCH --output=rnnatlas-sweep-%j.out

set -euo pipefail

config=${1:?usage: sbatch slurm_sweep.sh CONFIG DIR}
out=${2:?usage: sbatch slurm_sweep.sh CONFIG DIR}
rnnatlas=${RNNATLAS:-rnnatlas}          # path to the binary, if it is not on PATH
launcher=${RNNATLAS_LAUNCHER:-srun}     # srun or mpirun
threads=${SLURM_CPUS_PER_TASK:-1}

# module load openmpi                   # site-specific: the MPI that rnnatlas was built with

echo "rnnatlas sweep $config -> $out: $SLURM_NTASKS ranks x $threads threads on" \
     "$SLURM_JOB_NUM_NODES nodes ($SLURM_JOB_NODELIST)"
if [[ $launcher == srun ]]; then
  # One rank per task. --mpi=pmix is how Slurm starts Open MPI 4 processes (`srun --mpi=list`
  # shows what the site supports); --mpi tells rnnatlas to use MPI whatever the launcher sets.
  srun --mpi=pmix "$rnnatlas" sweep "$config" --out "$out" --mpi --n-threads "$threads"
else
  # Open MPI's mpirun reads the allocation from Slurm: one rank per task.
  mpirun --map-by "slot:PE=$threads" "$rnnatlas" sweep "$config" --out "$out" --n-threads "$threads"
fi

# The manifest is complete: print the population table (also written to DIR/summary.csv).
"$rnnatlas" summary "$out"
