/**
 * Everything about talking to a MicroVM.nix host: the SSH connection (host key pinned, key from a
 * Secret, timeouts, bounded channels, drained output), the one quoting function for the remote
 * shell, and the host protocol as named operations.
 */
package io.microvmoperator.host;
