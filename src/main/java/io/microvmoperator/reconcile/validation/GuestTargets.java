package io.microvmoperator.reconcile.validation;

import io.microvmoperator.api.ApiPatterns;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.host.SshTarget;
import io.microvmoperator.nix.HostAddress;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.nix.UnixUser;
import java.util.List;
import java.util.Optional;

/**
 * The guest's SSH server of {@code spec.guestSsh}, checked again by the operator as every value
 * that reaches a host is (the CRD's schema checks it first).
 */
public final class GuestTargets {

  private GuestTargets() {}

  /**
   * @throws InvalidValueException when {@code guest} is missing or a value is not what the CRD
   *     allows
   */
  public static SshTarget of(MicroVMSpec.GuestSsh guest) throws InvalidValueException {
    if (guest == null) {
      throw new InvalidValueException(
          "update SwitchWhenPossible needs spec.guestSsh: how the guest's SSH server is reached");
    }
    String address =
        new HostAddress(Optional.ofNullable(guest.address()).orElse("127.0.0.1")).value();
    int port = Optional.ofNullable(guest.port()).orElse(22);
    if (port < 1 || port > 65535) {
      throw new InvalidValueException("spec.guestSsh.port " + port + " is not a port");
    }
    String user = new UnixUser(Optional.ofNullable(guest.user()).orElse("root")).value();
    List<String> keys = Optional.ofNullable(guest.hostKeys()).orElse(List.of());
    if (keys.isEmpty() || keys.size() > 16) {
      throw new InvalidValueException("spec.guestSsh.hostKeys: pin 1 to 16 host keys of the guest");
    }
    for (String key : keys) {
      if (key == null || key.length() > 16384 || !key.matches(ApiPatterns.SSH_PUBLIC_KEY)) {
        throw new InvalidValueException(
            "spec.guestSsh.hostKeys: not a public host key ('ssh-ed25519 AAAA...')");
      }
    }
    return new SshTarget(address, port, user, keys);
  }
}
