package io.microvmoperator.host;

/**
 * Who a VM folder on a host belongs to, as its owner marker ({@code .operator/owner}) says: {@code
 * owner} is "NAMESPACE/NAME UID" of the MicroVM that manages it. {@code adoptFrom} is the marker of
 * an earlier MicroVM of the same namespace that this one may take the folder over from ("" for
 * none): a folder is never taken over from another namespace.
 */
public record Ownership(String owner, String adoptFrom) {

  /** The marker of the MicroVM {@code namespace/name} with {@code uid}. */
  public static String marker(String namespace, String name, String uid) {
    return namespace + "/" + name + " " + uid;
  }

  /** The namespace a marker names ("" for a malformed one). */
  public static String namespaceOf(String marker) {
    int slash = marker.indexOf('/');
    return slash > 0 ? marker.substring(0, slash) : "";
  }

  /** The "NAMESPACE/NAME" a marker names, without its uid. */
  public static String keyOf(String marker) {
    int space = marker.indexOf(' ');
    return space > 0 ? marker.substring(0, space) : marker;
  }
}
