package io.microvmoperator.host;

import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;

/**
 * What a live switch asks of a guest: to be the guest named {@code hostname} and to switch to
 * {@code system}, whose closure's registration is the store path {@code registration}.
 */
public record GuestSwitch(VmName hostname, StorePath system, StorePath registration) {}
