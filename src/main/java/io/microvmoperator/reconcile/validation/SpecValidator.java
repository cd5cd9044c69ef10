package io.microvmoperator.reconcile.validation;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.hydra.HydraJob;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.NixName;
import io.microvmoperator.nix.NixPublicKey;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.SubstituterUrl;
import io.microvmoperator.nix.VmName;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.kube.Durations;
import io.microvmoperator.reconcile.kube.VmNames;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a MicroVM may be deployed as specified. Checks again what the CRD schema checks
 * (a value reaches a host only after both), and what only the operator can see: the host's allowed
 * namespaces, other MicroVMs claiming the same name, VMs the host manages itself.
 */
public final class SpecValidator {

  private SpecValidator() {}

  /** The MicroVM's values, validated. */
  public record ValidSpec(
      VmName vmName,
      NixName target,
      RunnerOrigin origin,
      List<SubstituterUrl> substituters,
      List<NixPublicKey> trustedKeys) {

    /** What the host's {@code flake} file holds: the flakeref, or nothing for a prebuilt runner. */
    public String flakeFileContent() {
      return origin instanceof RunnerOrigin.Flake flake ? flake.ref().value() : "";
    }
  }

  public static ValidSpec parse(MicroVM vm) throws InvalidValueException {
    MicroVMSpec spec = vm.getSpec();
    VmName vmName = new VmName(VmNames.vmName(vm));
    NixName target = new NixName(VmNames.target(vm));
    int sources =
        (spec.flake() != null ? 1 : 0)
            + (spec.storePath() != null ? 1 : 0)
            + (spec.hydra() != null ? 1 : 0);
    if (sources != 1) {
      throw new InvalidValueException("set exactly one runner source: flake, storePath or hydra");
    }
    RunnerOrigin origin;
    if (spec.flake() != null) {
      origin = new RunnerOrigin.Flake(new FlakeRef(spec.flake()));
    } else if (spec.storePath() != null) {
      origin = new RunnerOrigin.Prebuilt(new StorePath(spec.storePath()));
    } else {
      origin =
          new RunnerOrigin.Hydra(
              HydraJob.of(spec.hydra(), target.value()),
              Durations.parse(spec.hydra().interval(), Duration.ofMinutes(5)));
    }
    List<SubstituterUrl> substituters =
        Optional.ofNullable(spec.substituters()).orElse(List.of()).stream()
            .map(SubstituterUrl::new)
            .toList();
    List<NixPublicKey> trustedKeys =
        Optional.ofNullable(spec.trustedPublicKeys()).orElse(List.of()).stream()
            .map(NixPublicKey::new)
            .toList();
    if (spec.update() == MicroVMSpec.UpdateMode.SwitchWhenPossible) {
      GuestTargets.of(spec.guestSsh());
    }
    return new ValidSpec(vmName, target, origin, substituters, trustedKeys);
  }

  public static Optional<Problem> checkPlacement(
      MicroVM vm, MicroVMHost host, String operatorNamespace, List<MicroVM> othersOnHost) {
    String namespace = vm.getMetadata().getNamespace();
    List<String> allowed =
        Optional.ofNullable(host.getSpec().allowedNamespaces()).orElse(List.of());
    if (!permitted(host, namespace, operatorNamespace)) {
      return Optional.of(
          new Problem(
              "NamespaceNotAllowed",
              "namespace "
                  + namespace
                  + " may not place MicroVMs on host "
                  + host.getMetadata().getName()
                  + " (spec.allowedNamespaces: "
                  + (allowed.isEmpty() ? "empty, so only " + operatorNamespace : allowed)
                  + ")"));
    }
    String name = VmNames.vmName(vm);
    Optional<MicroVM> owner =
        othersOnHost.stream()
            .filter(other -> VmNames.vmName(other).equals(name))
            .filter(other -> permitted(host, other.getMetadata().getNamespace(), operatorNamespace))
            .min(OLDEST_FIRST);
    if (owner.isPresent() && !VmNames.key(owner.get()).equals(VmNames.key(vm))) {
      return Optional.of(
          new Problem(
              "VmNameConflict",
              "MicroVM "
                  + VmNames.key(owner.get())
                  + " already manages '"
                  + name
                  + "' on host "
                  + host.getMetadata().getName()
                  + "; set a different spec.vmName"));
    }
    return Optional.empty();
  }

  /**
   * A local flake (one on the host's own file system) only from a folder the host lists in {@code
   * allowedLocalFlakePaths}: Nix copies the folder into the world-readable store.
   */
  public static Optional<Problem> checkLocalFlake(ValidSpec valid, MicroVMHost host) {
    if (!(valid.origin() instanceof RunnerOrigin.Flake flake)) {
      return Optional.empty();
    }
    Optional<String> local = flake.ref().localPath();
    if (local.isEmpty()) {
      return Optional.empty();
    }
    List<String> allowed =
        Optional.ofNullable(host.getSpec().allowedLocalFlakePaths()).orElse(List.of());
    String path = local.get();
    boolean permitted =
        allowed.stream()
            .map(prefix -> prefix.length() > 1 ? prefix.replaceAll("/+$", "") : prefix)
            .anyMatch(
                prefix ->
                    path.equals(prefix)
                        || path.startsWith(prefix.equals("/") ? "/" : prefix + "/"));
    if (permitted) {
      return Optional.empty();
    }
    return Optional.of(
        new Problem(
            "LocalFlakeNotAllowed",
            "the flake "
                + flake.ref()
                + " is a folder on host "
                + host.getMetadata().getName()
                + " that its spec.allowedLocalFlakePaths does not list ("
                + (allowed.isEmpty() ? "empty: no local flakes" : allowed)
                + "); nothing was run on the host"));
  }

  /**
   * Whose folder the VM's is, by its owner marker on the host: this MicroVM's ({@code marker}), one
   * of the same namespace's that this one takes over, or nobody's (no marker: a folder made by hand
   * or by an operator before markers). A folder another namespace's MicroVM left there (its
   * deletion policy was Orphan or StopOnly) is never taken over: a {@code FolderNotEmpty} problem.
   */
  public static OwnershipCheck checkOwner(
      Optional<VmObservation> observed, String marker, String namespace, String hostName) {
    String found = observed.map(VmObservation::owner).orElse("");
    if (found.isEmpty() || found.equals(marker)) {
      return new OwnershipCheck(new Ownership(marker, ""), Optional.empty());
    }
    if (Ownership.namespaceOf(found).equals(namespace)) {
      return new OwnershipCheck(new Ownership(marker, found), Optional.empty());
    }
    return new OwnershipCheck(
        new Ownership(marker, ""),
        Optional.of(folderNotEmpty(observed.get().name(), found, hostName)));
  }

  /** The VM folder holds another namespace's MicroVM's files. */
  public static Problem folderNotEmpty(String vmName, String foundMarker, String hostName) {
    return new Problem(
        "FolderNotEmpty",
        "the folder of '"
            + vmName
            + "' on host "
            + hostName
            + " holds the VM of MicroVM "
            + Ownership.keyOf(foundMarker)
            + ", left there (its deletionPolicy was Orphan or StopOnly, or another operator manages"
            + " it); nothing was changed: remove that folder on the host, or set a different"
            + " spec.vmName");
  }

  /** The outcome of {@link #checkOwner}: how to converge, or why not to. */
  public record OwnershipCheck(Ownership ownership, Optional<Problem> problem) {}

  /** Whether the host lets MicroVMs of {@code namespace} be placed on it. */
  public static boolean permitted(MicroVMHost host, String namespace, String operatorNamespace) {
    List<String> allowed =
        Optional.ofNullable(host.getSpec().allowedNamespaces()).orElse(List.of());
    return allowed.isEmpty() ? namespace.equals(operatorNamespace) : allowed.contains(namespace);
  }

  public static Optional<Problem> checkObservation(
      Optional<VmObservation> observed, String hostName) {
    return observed
        .filter(VmObservation::declaredByHost)
        .map(vm -> declaredByHost(vm.name(), hostName));
  }

  /** The VM has a 'toplevel' link: the host's own NixOS configuration manages it. */
  public static Problem declaredByHost(String vmName, String hostName) {
    return new Problem(
        "DeclaredByHost",
        "'"
            + vmName
            + "' on host "
            + hostName
            + " is declared in the host's own NixOS configuration (it has a 'toplevel'"
            + " link); the host's rebuilds manage it, so the operator leaves it alone");
  }

  /** The oldest claim wins a name; ties (same second) go by namespace and name. */
  public static final Comparator<MicroVM> OLDEST_FIRST =
      Comparator.comparing((MicroVM vm) -> String.valueOf(vm.getMetadata().getCreationTimestamp()))
          .thenComparing(VmNames::key);
}
