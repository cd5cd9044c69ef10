/**
 * Kubernetes plumbing shared by both reconcilers: annotations, Events, the MicroVM cache, Secrets,
 * API server errors.
 */
package io.microvmoperator.reconcile.kube;
