package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fields of an object that a field manager's server-side applies own, read from {@code
 * metadata.managedFields} ({@code fieldsV1}: {@code f:metadata} → {@code f:annotations} → {@code
 * f:KEY}; {@code f:spec} → {@code f:suspend}).
 */
record OwnedFields(Set<String> annotations, boolean suspend) {

  static OwnedFields of(HasMetadata object, String manager) {
    Set<String> annotations = new TreeSet<>();
    boolean suspend = false;
    var entries = object.getMetadata().getManagedFields();
    if (entries == null) {
      return new OwnedFields(annotations, false);
    }
    for (ManagedFieldsEntry entry : entries) {
      if (!PluginApply.isOurApply(entry, manager) || entry.getFieldsV1() == null) {
        continue;
      }
      Map<String, Object> fields = entry.getFieldsV1().getAdditionalProperties();
      for (String key : child(child(fields, "f:metadata"), "f:annotations").keySet()) {
        if (key.startsWith("f:")) {
          annotations.add(key.substring(2));
        }
      }
      suspend |= child(fields, "f:spec").containsKey("f:suspend");
    }
    return new OwnedFields(annotations, suspend);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> fields, String key) {
    Object value = fields.get(key);
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }
}
