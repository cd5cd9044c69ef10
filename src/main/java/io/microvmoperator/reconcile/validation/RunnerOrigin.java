package io.microvmoperator.reconcile.validation;

import io.microvmoperator.hydra.HydraJob;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.StorePath;
import java.time.Duration;

/** Where a MicroVM's runner comes from, as its validated spec says: exactly one of three. */
public sealed interface RunnerOrigin {

  /** Built on the host from {@code nixosConfigurations.TARGET} of a flake. */
  public record Flake(FlakeRef ref) implements RunnerOrigin {}

  /** A prebuilt runner, fetched from a binary cache. */
  public record Prebuilt(StorePath path) implements RunnerOrigin {}

  /** The latest successful build of a Hydra job, asked for every {@code interval}. */
  public record Hydra(HydraJob job, Duration interval) implements RunnerOrigin {}
}
