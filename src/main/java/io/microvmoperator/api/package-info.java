/**
 * The custom resources {@code MicroVM} and {@code MicroVMHost} (group {@code microvm-operator.io},
 * version {@code v1alpha1}): spec and status types, described and validated with annotations from
 * which the build generates the CRD YAML in {@code crds/}.
 */
package io.microvmoperator.api;
