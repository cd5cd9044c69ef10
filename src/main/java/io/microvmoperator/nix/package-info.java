/**
 * Value types with validation for every user-supplied string that reaches a host or its SSH server
 * (flakeref, store path, names, paths, user, address), and Nix's JSON output.
 */
package io.microvmoperator.nix;
