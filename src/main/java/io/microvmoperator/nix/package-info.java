/** Nix value types with validation (flakeref, store path, names) and Nix's JSON output. */
package io.microvmoperator.nix;
