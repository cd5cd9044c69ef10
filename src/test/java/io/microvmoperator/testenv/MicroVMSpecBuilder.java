package io.microvmoperator.testenv;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import io.microvmoperator.api.MicroVMSpec.RollbackPolicy;
import io.microvmoperator.api.MicroVMSpec.UpdateStrategy;
import java.util.List;

/** Builds a {@link MicroVMSpec} field by field, or a copy of one with a few fields changed. */
public final class MicroVMSpecBuilder {

  private String host;
  private String flake;
  private String target;
  private String vmName;
  private Boolean running;
  private RestartPolicy restartPolicy;
  private DeletionPolicy deletionPolicy;
  private String interval;
  private Boolean suspend;
  private String storePath;
  private MicroVMSpec.HydraSource hydra;
  private List<String> substituters;
  private List<String> trustedPublicKeys;
  private UpdateStrategy updateStrategy;
  private RollbackPolicy rollback;
  private MicroVMSpec.UpdateMode update;
  private MicroVMSpec.GuestSsh guestSsh;

  public static MicroVMSpecBuilder from(MicroVMSpec spec) {
    MicroVMSpecBuilder b = new MicroVMSpecBuilder();
    b.host = spec.host();
    b.flake = spec.flake();
    b.target = spec.target();
    b.vmName = spec.vmName();
    b.running = spec.running();
    b.restartPolicy = spec.restartPolicy();
    b.deletionPolicy = spec.deletionPolicy();
    b.interval = spec.interval();
    b.suspend = spec.suspend();
    b.storePath = spec.storePath();
    b.hydra = spec.hydra();
    b.substituters = spec.substituters();
    b.trustedPublicKeys = spec.trustedPublicKeys();
    b.updateStrategy = spec.updateStrategy();
    b.rollback = spec.rollback();
    b.update = spec.update();
    b.guestSsh = spec.guestSsh();
    return b;
  }

  public static MicroVMSpecBuilder flake(String host, String flake, String target) {
    MicroVMSpecBuilder b = new MicroVMSpecBuilder();
    b.host = host;
    b.flake = flake;
    b.target = target;
    return b;
  }

  /** A prebuilt runner fetched from {@code substituter}, signed by {@code trustedKey}. */
  public static MicroVMSpecBuilder storePath(
      String host, String storePath, String substituter, String trustedKey) {
    MicroVMSpecBuilder b = new MicroVMSpecBuilder();
    b.host = host;
    b.storePath = storePath;
    b.substituters = List.of(substituter);
    b.trustedPublicKeys = List.of(trustedKey);
    return b;
  }

  /** The latest build of a Hydra job, fetched from {@code substituter}. */
  public static MicroVMSpecBuilder hydra(
      String host, MicroVMSpec.HydraSource job, String substituter, String trustedKey) {
    MicroVMSpecBuilder b = storePath(host, null, substituter, trustedKey);
    b.hydra = job;
    return b;
  }

  /** Switches the runner source to {@code storePath}. */
  public MicroVMSpecBuilder useStorePath(String value) {
    storePath = value;
    flake = null;
    hydra = null;
    return this;
  }

  /** Switches the runner source to {@code flake}. */
  public MicroVMSpecBuilder useFlake(String value) {
    flake = value;
    storePath = null;
    hydra = null;
    return this;
  }

  /** Switches the runner source to the Hydra job {@code value}. */
  public MicroVMSpecBuilder useHydra(MicroVMSpec.HydraSource value) {
    hydra = value;
    flake = null;
    storePath = null;
    return this;
  }

  public MicroVMSpecBuilder substituters(String... urls) {
    substituters = List.of(urls);
    return this;
  }

  public MicroVMSpecBuilder trustedPublicKeys(String... keys) {
    trustedPublicKeys = List.of(keys);
    return this;
  }

  /** {@code update: SwitchWhenPossible} with the guest's SSH server as the host reaches it. */
  public MicroVMSpecBuilder switchWhenPossible(MicroVMSpec.GuestSsh guest) {
    update = MicroVMSpec.UpdateMode.SwitchWhenPossible;
    guestSsh = guest;
    return this;
  }

  public MicroVMSpecBuilder update(MicroVMSpec.UpdateMode value) {
    update = value;
    return this;
  }

  public MicroVMSpecBuilder guestSsh(MicroVMSpec.GuestSsh value) {
    guestSsh = value;
    return this;
  }

  public MicroVMSpecBuilder rollback(RollbackPolicy value) {
    rollback = value;
    return this;
  }

  public MicroVMSpecBuilder updateStrategy(UpdateStrategy value) {
    updateStrategy = value;
    return this;
  }

  public MicroVMSpecBuilder target(String value) {
    target = value;
    return this;
  }

  public MicroVMSpecBuilder vmName(String value) {
    vmName = value;
    return this;
  }

  public MicroVMSpecBuilder running(boolean value) {
    running = value;
    return this;
  }

  public MicroVMSpecBuilder restartPolicy(RestartPolicy value) {
    restartPolicy = value;
    return this;
  }

  public MicroVMSpecBuilder deletionPolicy(DeletionPolicy value) {
    deletionPolicy = value;
    return this;
  }

  public MicroVMSpecBuilder interval(String value) {
    interval = value;
    return this;
  }

  public MicroVMSpecBuilder suspend(boolean value) {
    suspend = value;
    return this;
  }

  public MicroVMSpec build() {
    return new MicroVMSpec(
        host,
        flake,
        target,
        vmName,
        storePath,
        hydra,
        substituters,
        trustedPublicKeys,
        running,
        restartPolicy,
        deletionPolicy,
        interval,
        suspend,
        updateStrategy,
        rollback,
        update,
        guestSsh);
  }
}
