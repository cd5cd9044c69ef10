/**
 * What went wrong and what happens next: problems a person must fix, waiting, transient failures.
 */
package io.microvmoperator.reconcile.failure;
