# shellcheck shell=sh
# Forgets the finished build job $job, so that it can run again.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
if [ -e "$job/status" ]; then drop_job "$job"; fi
