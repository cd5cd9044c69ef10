/**
 * Status: the one place that builds conditions and the MicroVM status from what a reconcile found.
 */
package io.microvmoperator.reconcile.status;
