/** The entry point and wiring: configuration, the operator, health endpoints. */
package io.microvmoperator.app;
