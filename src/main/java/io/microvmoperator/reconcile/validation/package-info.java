/**
 * Checks of a MicroVM's spec and placement (tenancy, claims of VM names, local flakes, host
 * ownership).
 */
package io.microvmoperator.reconcile.validation;
