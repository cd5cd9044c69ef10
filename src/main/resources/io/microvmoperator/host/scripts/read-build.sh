# shellcheck shell=sh
# Reads the state of the build job $job.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
read_job
