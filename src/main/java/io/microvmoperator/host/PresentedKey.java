package io.microvmoperator.host;

/** The host key a server presented: its known_hosts key part and its SHA256 fingerprint. */
public record PresentedKey(String line, String fingerprint) {}
