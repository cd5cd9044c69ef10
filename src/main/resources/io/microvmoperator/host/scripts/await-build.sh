# shellcheck shell=sh
# Waits up to $wait s for the running build job $job and reads it; starts nothing.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
wait_for_job
read_job
