/**
 * Which runner a MicroVM should run and getting it into the host's store: flake locks, Hydra,
 * prebuilt paths, build slots and jobs.
 */
package io.microvmoperator.reconcile.runner;
