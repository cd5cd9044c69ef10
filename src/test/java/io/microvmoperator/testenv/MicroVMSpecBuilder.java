package io.microvmoperator.testenv;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.api.MicroVMSpec.RestartPolicy;
import java.util.List;

/** Builds a {@link MicroVMSpec} field by field, or a copy of one with a few fields changed. */
public final class MicroVMSpecBuilder {

  private String host;
  private String flake;
  private String target;
  private String vmName;
  private String storePath;
  private MicroVMSpec.HydraSource hydra;
  private List<String> substituters;
  private List<String> trustedPublicKeys;
  private Boolean running;
  private RestartPolicy restartPolicy;
  private DeletionPolicy deletionPolicy;
  private String interval;
  private Boolean suspend;

  public static MicroVMSpecBuilder from(MicroVMSpec spec) {
    MicroVMSpecBuilder b = new MicroVMSpecBuilder();
    b.host = spec.host();
    b.flake = spec.flake();
    b.target = spec.target();
    b.vmName = spec.vmName();
    b.storePath = spec.storePath();
    b.hydra = spec.hydra();
    b.substituters = spec.substituters();
    b.trustedPublicKeys = spec.trustedPublicKeys();
    b.running = spec.running();
    b.restartPolicy = spec.restartPolicy();
    b.deletionPolicy = spec.deletionPolicy();
    b.interval = spec.interval();
    b.suspend = spec.suspend();
    return b;
  }

  public static MicroVMSpecBuilder flake(String host, String flake, String target) {
    MicroVMSpecBuilder b = new MicroVMSpecBuilder();
    b.host = host;
    b.flake = flake;
    b.target = target;
    return b;
  }

  public MicroVMSpecBuilder flake(String value) {
    flake = value;
    return this;
  }

  public MicroVMSpecBuilder target(String value) {
    target = value;
    return this;
  }

  public MicroVMSpecBuilder storePath(String value) {
    storePath = value;
    return this;
  }

  public MicroVMSpecBuilder hydra(MicroVMSpec.HydraSource value) {
    hydra = value;
    return this;
  }

  public MicroVMSpecBuilder substituters(List<String> value) {
    substituters = value;
    return this;
  }

  public MicroVMSpecBuilder trustedPublicKeys(List<String> value) {
    trustedPublicKeys = value;
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
        suspend);
  }
}
