package io.microvmoperator.cli;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One VM on one host, as {@code kubectl microvm list} shows it: a line of {@code microvm -l} with
 * the MicroVM that owns it and what to do next.
 *
 * @param host the MicroVMHost's name
 * @param vm the VM's name on the host (its folder and unit instance)
 * @param owner {@code NAMESPACE/NAME} of the MicroVM, {@code declared by host}, or {@code
 *     unmanaged}
 * @param state {@code microvm -l}'s word (current, stale, outdated, not booted) or failed,
 *     suspended, unknown, with the reason after a colon
 * @param running whether {@code microvm@VM} is active; null when not known
 * @param booted the runner that runs (store path), or null
 * @param current the runner {@code current} points at, or null
 * @param desired the runner the MicroVM's spec asks for, or null (unmanaged, or not built yet)
 * @param phase the MicroVM's phase, or null
 * @param hint the plugin's command for what to do next, or {@code -}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FleetRow(
    String host,
    String vm,
    String owner,
    String state,
    Boolean running,
    String booted,
    String current,
    String desired,
    String phase,
    String hint) {

  public static final String DECLARED_BY_HOST = "declared by host";
  public static final String UNMANAGED = "unmanaged";
}
