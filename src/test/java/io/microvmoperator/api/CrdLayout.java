package io.microvmoperator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsOrArrayBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import java.lang.reflect.ParameterizedType;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What the CRD generator does not take from annotations: printer columns in the order they are
 * declared on the kind (the generator sorts them by JSON path), descriptions of the kind and of its
 * spec and status from {@link JsonClassDescription}, and the standard {@code metav1.Condition}
 * schema for {@code status.conditions} (a list keyed by type, each field typed and required as the
 * API server checks it for built-in kinds).
 */
final class CrdLayout implements CRDPostProcessor {

  private static final Map<String, Class<? extends CustomResource<?, ?>>> KINDS =
      Map.of("MicroVM", MicroVM.class, "MicroVMHost", MicroVMHost.class);

  @Override
  public HasMetadata process(HasMetadata resource, String crdSpecVersion) {
    CustomResourceDefinition crd = (CustomResourceDefinition) resource;
    Class<? extends CustomResource<?, ?>> kind = KINDS.get(crd.getSpec().getNames().getKind());
    for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
      orderColumns(version, kind);
      JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
      root.setDescription(description(kind));
      Class<?>[] specAndStatus = specAndStatus(kind);
      root.getProperties().get("spec").setDescription(description(specAndStatus[0]));
      JSONSchemaProps status = root.getProperties().get("status");
      status.setDescription(description(specAndStatus[1]));
      if (status.getProperties().containsKey("conditions")) {
        status.getProperties().put("conditions", conditions());
      }
    }
    return crd;
  }

  private static void orderColumns(CustomResourceDefinitionVersion version, Class<?> kind) {
    List<String> declared =
        Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    version
        .getAdditionalPrinterColumns()
        .sort(
            Comparator.comparingInt(
                (CustomResourceColumnDefinition c) -> declared.indexOf(c.getName())));
  }

  private static String description(Class<?> type) {
    JsonClassDescription description = type.getAnnotation(JsonClassDescription.class);
    if (description == null) {
      throw new IllegalStateException(type.getName() + " has no @JsonClassDescription");
    }
    return description.value();
  }

  private static Class<?>[] specAndStatus(Class<?> kind) {
    ParameterizedType type = (ParameterizedType) kind.getGenericSuperclass();
    return new Class<?>[] {
      (Class<?>) type.getActualTypeArguments()[0], (Class<?>) type.getActualTypeArguments()[1]
    };
  }

  /** The schema of metav1.Condition lists, as Kubernetes' own types declare it. */
  private static JSONSchemaProps conditions() {
    JSONSchemaProps condition =
        new JSONSchemaPropsBuilder()
            .withType("object")
            .withDescription("One aspect of the resource's state, as metav1.Condition.")
            .withRequired("lastTransitionTime", "message", "reason", "status", "type")
            .addToProperties(
                "type",
                string(
                    "The aspect, in CamelCase: Ready, Reconciling, Stalled, ...",
                    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        + "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                    316))
            .addToProperties(
                "status",
                new JSONSchemaPropsBuilder()
                    .withType("string")
                    .withDescription("True, False or Unknown.")
                    .withEnum(new TextNode("True"), new TextNode("False"), new TextNode("Unknown"))
                    .build())
            .addToProperties(
                "reason",
                string(
                    "Why the condition has its status, in CamelCase.",
                    "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                    1024))
            .addToProperties(
                "message",
                new JSONSchemaPropsBuilder()
                    .withType("string")
                    .withDescription("What a person should know, in words.")
                    .withMaxLength(32768L)
                    .build())
            .addToProperties(
                "lastTransitionTime",
                new JSONSchemaPropsBuilder()
                    .withType("string")
                    .withFormat("date-time")
                    .withDescription("When the status last changed.")
                    .build())
            .addToProperties(
                "observedGeneration",
                new JSONSchemaPropsBuilder()
                    .withType("integer")
                    .withFormat("int64")
                    .withMinimum(0.0)
                    .withDescription("The generation of the spec the condition was set for.")
                    .build())
            .build();
    return new JSONSchemaPropsBuilder()
        .withType("array")
        .withDescription(
            "The kstatus conditions: Ready, Reconciling and Stalled, and the kind's own (docs/api.md).")
        .withItems(new JSONSchemaPropsOrArrayBuilder().withSchema(condition).build())
        .withXKubernetesListType("map")
        .withXKubernetesListMapKeys("type")
        .build();
  }

  private static JSONSchemaProps string(String description, String pattern, long maxLength) {
    return new JSONSchemaPropsBuilder()
        .withType("string")
        .withDescription(description)
        .withPattern(pattern)
        .withMaxLength(maxLength)
        .build();
  }
}
