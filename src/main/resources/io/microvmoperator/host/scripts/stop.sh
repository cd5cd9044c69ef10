# shellcheck shell=sh
# Stops the VM's unit unless its folder belongs to another MicroVM.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
foreign && exit 0
stop_unit
