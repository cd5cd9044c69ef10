/**
 * Update policies that decide whether a new runner may go live: plans awaiting approval, rollbacks,
 * updates made on the host.
 */
package io.microvmoperator.reconcile.update;
