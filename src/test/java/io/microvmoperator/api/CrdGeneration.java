package io.microvmoperator.api;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.File;

/**
 * Generates the CRD YAML from the API classes, as the build's {@code process-test-classes} phase
 * runs it (into {@code target/classes/META-INF/fabric8}); {@link CrdLayout} then gives the CRDs
 * what the generator cannot say from annotations. {@code hack/update-crds.sh} copies the result
 * where it is committed, and {@link CrdDriftTest} checks the copies.
 */
public final class CrdGeneration {

  private CrdGeneration() {}

  public static void main(String[] args) {
    File out = new File(args.length > 0 ? args[0] : "target/classes/META-INF/fabric8");
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IllegalStateException("cannot create " + out);
    }
    int written =
        new CRDGenerator()
            .customResourceClasses(MicroVM.class, MicroVMHost.class)
            .forCRDVersions("v1")
            .withParallelGenerationEnabled(false)
            .withImplicitPreserveUnknownFields(false)
            .withMinQuotes(false)
            .withPostProcessor(new CrdLayout())
            .inOutputDir(out)
            .generate();
    if (written != 2) {
      throw new IllegalStateException("generated " + written + " CRDs, expected 2");
    }
  }
}
