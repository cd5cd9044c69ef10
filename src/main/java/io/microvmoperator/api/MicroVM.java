package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One MicroVM.nix guest on one host. {@code spec.vmName} and {@code spec.target} default to {@code
 * metadata.name}, which Kubernetes allows to hold dots and 253 characters: the API server refuses
 * such a name unless the field it would fill is set.
 */
@ValidationRule(
    value =
        "!has(self.spec) || has(self.spec.vmName) || self.metadata.name.matches('"
            + ApiPatterns.VM_NAME
            + "')",
    message =
        "metadata.name is not a usable VM name on a host (letters, digits, '_' and '-', at most"
            + " 64, no dots): set spec.vmName")
@ValidationRule(
    value =
        "!has(self.spec) || has(self.spec.target) || self.metadata.name.matches('"
            + ApiPatterns.NIX_ATTRIBUTE
            + "')",
    message =
        "metadata.name is not a usable nixosConfigurations attribute (a letter or '_' first, then"
            + " letters, digits, '_' and '-', at most 64, no dots): set spec.target")
@Group(MicroVMHost.GROUP)
@Version(MicroVMHost.VERSION)
@ShortNames("mvm")
@Categories("microvm-operator")
@JsonClassDescription(
    "One MicroVM.nix guest on one host: the operator builds or fetches its runner on the host,"
        + " points /var/lib/microvms/NAME/current at it and restarts microvm@NAME only when it"
        + " changed. kubectl get microvms shows each VM's state; docs/api.md describes every field.")
@AdditionalPrinterColumn(name = "Host", jsonPath = ".spec.host")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.phase")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason")
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Up-to-date",
    jsonPath = ".status.conditions[?(@.type==\"UpToDate\")].status",
    priority = 1)
@AdditionalPrinterColumn(
    name = "Restart",
    jsonPath = ".status.conditions[?(@.type==\"RestartRequired\")].status",
    priority = 1)
@AdditionalPrinterColumn(name = "Current", jsonPath = ".status.currentRunner", priority = 1)
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".status.desiredRunner", priority = 1)
@AdditionalPrinterColumn(
    name = "Message",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].message",
    priority = 1)
public class MicroVM extends CustomResource<MicroVMSpec, MicroVMStatus> implements Namespaced {}
