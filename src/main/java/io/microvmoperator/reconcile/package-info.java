/**
 * The reconcilers, by concern: {@code microvm} (the MicroVM reconcile as steps), {@code host} (the
 * MicroVMHost reconciler and the probes), {@code validation}, {@code runner} (the desired runner),
 * {@code update} (plan and rollback policies), {@code status}, {@code failure} (one classification
 * of failures) and {@code kube} (Kubernetes plumbing).
 */
package io.microvmoperator.reconcile;
