package io.microvmoperator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One MicroVM.nix guest on one host. */
@Group(MicroVMHost.GROUP)
@Version(MicroVMHost.VERSION)
@ShortNames("mvm")
@AdditionalPrinterColumn(name = "Host", jsonPath = ".spec.host")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.phase")
@AdditionalPrinterColumn(
    name = "Up-to-date",
    jsonPath = ".status.conditions[?(@.type==\"UpToDate\")].status")
@AdditionalPrinterColumn(
    name = "Restart",
    jsonPath = ".status.conditions[?(@.type==\"RestartRequired\")].status")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Current", jsonPath = ".status.currentRunner", priority = 1)
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".status.desiredRunner", priority = 1)
public class MicroVM extends CustomResource<MicroVMSpec, MicroVMStatus> implements Namespaced {}
