/**
 * The MicroVMHost side: its reconciler, SSH access to a host (key from the Secret), and the probes
 * that observe hosts and trigger MicroVM reconciles.
 */
package io.microvmoperator.reconcile.host;
