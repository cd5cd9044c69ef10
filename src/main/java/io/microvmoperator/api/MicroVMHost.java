package io.microvmoperator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A NixOS machine running MicroVM.nix, reached over SSH. Cluster-scoped. */
@Group(MicroVMHost.GROUP)
@Version(MicroVMHost.VERSION)
@ShortNames("mvmhost")
@AdditionalPrinterColumn(name = "Address", jsonPath = ".spec.address")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Reachable",
    jsonPath = ".status.conditions[?(@.type==\"Reachable\")].status")
@AdditionalPrinterColumn(name = "Nix", jsonPath = ".status.nixVersion")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class MicroVMHost extends CustomResource<MicroVMHostSpec, MicroVMHostStatus> {
  public static final String GROUP = "microvm-operator.io";
  public static final String VERSION = "v1alpha1";
}
