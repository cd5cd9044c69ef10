/**
 * One reconciler per kind. A MicroVM reconcile reads top to bottom: observe (the host's cached
 * probe), validate the spec, act (the only code that changes a host), report (status through one
 * builder). Typed outcomes decide what happens next.
 */
package io.microvmoperator.reconcile;
