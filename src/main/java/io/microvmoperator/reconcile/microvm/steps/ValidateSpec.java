package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.Admitted;
import io.microvmoperator.reconcile.validation.Claims;
import io.microvmoperator.reconcile.validation.SpecValidator;
import io.microvmoperator.reconcile.validation.SpecValidator.ValidSpec;
import java.util.Optional;

/**
 * The first step, before the host is looked at: a suspended VM is left alone; the spec must parse
 * into valid values, its host exist, the VM be placed there (namespaces allowed by the host, the VM
 * name claimed first, local flakes allowed); a suspended host is left alone.
 */
public final class ValidateSpec {

  /** The VM may go on ({@code admitted}), or the reconcile ends with {@code result}. */
  public record Admission(Admitted admitted, StepResult result) {

    static Admission rejected(StepResult result) {
      return new Admission(null, result);
    }
  }

  private final HostObservations hosts;
  private final Claims claims;
  private final String operatorNamespace;
  private final Optional<String> shard;

  /**
   * {@code shard}: the label selector of the MicroVMs and MicroVMHosts this operator watches, when
   * it runs as one shard of several.
   */
  public ValidateSpec(
      HostObservations hosts, Claims claims, String operatorNamespace, Optional<String> shard) {
    this.hosts = hosts;
    this.claims = claims;
    this.operatorNamespace = operatorNamespace;
    this.shard = shard;
  }

  public Admission admit(MicroVM vm, Optional<MicroVMHost> maybeHost, MicroVMStatusBuilder status) {
    if (Boolean.TRUE.equals(vm.getSpec().suspend())) {
      status.suspended();
      return Admission.rejected(StepResult.waitForEvent());
    }
    ValidSpec valid;
    try {
      valid = SpecValidator.parse(vm);
    } catch (InvalidValueException e) {
      return stalled(new Problem("InvalidSpec", e.getMessage()));
    }
    if (maybeHost.isEmpty()) {
      return stalled(hostNotFound(vm.getSpec().host()));
    }
    MicroVMHost host = maybeHost.get();
    Optional<Problem> problem = placementProblem(vm, host, valid);
    if (problem.isPresent()) {
      return stalled(problem.get());
    }
    if (Boolean.TRUE.equals(host.getSpec().suspend())) {
      String name = host.getMetadata().getName();
      status.progressing(Phase.Pending, "HostSuspended", "MicroVMHost " + name + " is suspended");
      return Admission.rejected(StepResult.waitForEvent());
    }
    return new Admission(new Admitted(host, valid), StepResult.proceed());
  }

  private Optional<Problem> placementProblem(MicroVM vm, MicroVMHost host, ValidSpec valid) {
    String hostName = host.getMetadata().getName();
    return SpecValidator.checkPlacement(
            vm, host, operatorNamespace, claims.counting(hosts.microVMsOn(hostName)))
        .or(() -> SpecValidator.checkLocalFlake(valid, host));
  }

  /**
   * A shard sees only the hosts that carry its label: a host of another shard is never used, and
   * the message says how to place the MicroVM.
   */
  private Problem hostNotFound(String host) {
    String message =
        shard
            .map(
                selector ->
                    "MicroVMHost "
                        + host
                        + " is not in this operator's shard ("
                        + selector
                        + "): it does not exist, or it carries another shard's label; a MicroVM"
                        + " must carry the same sharding.microvm-operator.io/key label as its host")
            .orElse("MicroVMHost " + host + " does not exist");
    return new Problem("HostNotFound", message);
  }

  private static Admission stalled(Problem problem) {
    return Admission.rejected(StepResult.stalled(problem));
  }
}
