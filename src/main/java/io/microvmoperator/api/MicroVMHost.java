package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A NixOS machine running MicroVM.nix, reached over SSH. Cluster-scoped. */
@Group(MicroVMHost.GROUP)
@Version(MicroVMHost.VERSION)
@ShortNames("mvmhost")
@Categories("microvm-operator")
@JsonClassDescription(
    "A NixOS host running MicroVM.nix, reached over SSH with a pinned host key; the operator probes"
        + " it every probeInterval. Cluster-scoped; docs/hosts.md describes how to register one.")
@AdditionalPrinterColumn(name = "Address", jsonPath = ".spec.address")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Reachable",
    jsonPath = ".status.conditions[?(@.type==\"Reachable\")].status",
    priority = 1)
@AdditionalPrinterColumn(name = "Nix", jsonPath = ".status.nixVersion", priority = 1)
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].message",
    priority = 1)
public class MicroVMHost extends CustomResource<MicroVMHostSpec, MicroVMHostStatus> {
  public static final String GROUP = "microvm-operator.io";
  public static final String VERSION = "v1alpha1";
}
