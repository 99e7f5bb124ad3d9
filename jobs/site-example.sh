# Example --site file for `priorbench submit`: shell lines copied into every batch script
# before priorbench runs. Adapt it to your cluster; keep it to environment set-up.
module purge
module load gcc/12 openmpi/4.1 petsc/3.18 hdf5-mpi/1.10
export OMP_NUM_THREADS=1       # priorbench parallelizes with MPI ranks
export OPENBLAS_NUM_THREADS=1  # one BLAS thread per rank (the default priorbench chooses anyway)
