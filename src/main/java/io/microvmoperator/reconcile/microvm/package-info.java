/** The MicroVM reconciler: the reconcile as a sequence of steps over one context. */
package io.microvmoperator.reconcile.microvm;
