/**
 * What the reconcilers report for metrics: the domain events a person alerts on (host probes,
 * deploys, rollbacks, builds), as an interface the app package implements with Micrometer.
 */
package io.microvmoperator.reconcile.metrics;
