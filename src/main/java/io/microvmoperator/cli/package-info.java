/**
 * The kubectl plugin {@code kubectl-microvm}: the fleet at a glance ({@code list}, {@code status},
 * {@code logs}) and the day-2 actions ({@code reconcile}, {@code restart}, {@code approve}, {@code
 * suspend}, {@code resume}, {@code host add}) as the annotations and fields the operator already
 * understands, set with server-side apply under the field manager {@code kubectl-microvm}. It
 * shares the API types of {@code io.microvmoperator.api} with the operator and reads nothing but
 * the API server (and, for {@code host add}, the new host's SSH server for its key).
 */
package io.microvmoperator.cli;
