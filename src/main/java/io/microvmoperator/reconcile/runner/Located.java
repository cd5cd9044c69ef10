package io.microvmoperator.reconcile.runner;

import io.microvmoperator.api.MicroVMStatus.RunnerSource;
import io.microvmoperator.host.BuildRequest;

/** What to realise on the host for a MicroVM's runner, and where it comes from. */
public record Located(BuildRequest request, RunnerSource source) {}
