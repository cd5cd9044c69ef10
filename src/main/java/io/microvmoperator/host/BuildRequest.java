package io.microvmoperator.host;

import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.NixName;
import io.microvmoperator.nix.NixPublicKey;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.SubstituterUrl;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@code nix build} realises into a runner on the host: a flake's runner attribute (evaluated
 * and built there) or a prebuilt store path (fetched from a binary cache, its signature checked),
 * with the MicroVM's own binary caches and keys added to the host's.
 *
 * @param flake the locked flake of a flake build, null for a prebuilt path
 * @param target the flake's configuration, null for a prebuilt path
 */
public record BuildRequest(
    String installable,
    FlakeRef flake,
    NixName target,
    List<SubstituterUrl> substituters,
    List<NixPublicKey> trustedKeys) {

  public BuildRequest {
    substituters = List.copyOf(substituters);
    trustedKeys = List.copyOf(trustedKeys);
  }

  public static BuildRequest ofFlake(
      FlakeRef flake,
      NixName target,
      List<SubstituterUrl> substituters,
      List<NixPublicKey> trustedKeys) {
    return new BuildRequest(
        flake.runnerInstallable(target), flake, target, substituters, trustedKeys);
  }

  public static BuildRequest ofStorePath(
      StorePath path, List<SubstituterUrl> substituters, List<NixPublicKey> trustedKeys) {
    return new BuildRequest(path.value(), null, null, substituters, trustedKeys);
  }

  /** Whether this fetches a prebuilt path rather than evaluating a flake. */
  public boolean isPrebuilt() {
    return installable.startsWith("/nix/store/");
  }

  /**
   * What the flake builds that can share one evaluation have in common (the flake, the caches and
   * the keys); empty for a prebuilt path, which is fetched on its own.
   */
  public Optional<String> batchKey() {
    return flake == null
        ? Optional.empty()
        : Optional.of(flake.value() + "\n" + substitutersOption() + "\n" + trustedKeysOption());
  }

  /** The value of Nix's {@code extra-substituters} option: the URLs separated by spaces. */
  String substitutersOption() {
    return substituters.stream().map(SubstituterUrl::value).collect(Collectors.joining(" "));
  }

  /** The value of Nix's {@code extra-trusted-public-keys} option. */
  String trustedKeysOption() {
    return trustedKeys.stream().map(NixPublicKey::value).collect(Collectors.joining(" "));
  }

  /** Identifies the job on the host: the same request finds the same job. */
  String identity() {
    return installable + "\n" + substitutersOption() + "\n" + trustedKeysOption();
  }

  @Override
  public String toString() {
    return installable;
  }
}
