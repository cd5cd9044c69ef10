package io.microvmoperator.host;

/**
 * What happened in a guest asked to switch live. {@code previous} and {@code current} are what
 * {@code /run/current-system} pointed at before and after (empty when unknown); {@code detail} says
 * why, in words for status and Events.
 */
public record GuestSwitchOutcome(Kind kind, String previous, String current, String detail) {

  /** The kinds of outcome; only the last two changed anything in the guest. */
  public enum Kind {
    /** The guest runs the new system. */
    SWITCHED,
    /** No login: the guest did not answer, refused the key, or the host refused the channel. */
    UNREACHABLE,
    /** The guest presented a host key that is not pinned: nothing was sent to it. */
    HOST_KEY_REJECTED,
    /** Another guest answered (its /etc/hostname is not the VM's): nothing was changed. */
    OTHER_GUEST,
    /** The new system is not in the guest's store (no shared /nix/store): nothing was changed. */
    NOT_IN_GUEST_STORE,
    /** Loading the registration or setting the profile failed: nothing was activated. */
    NOT_ACTIVATED,
    /** The activation failed, and the guest was switched back to the system it ran. */
    ROLLED_BACK,
    /** The activation failed, and switching back failed too: the guest's system is unknown. */
    ROLLBACK_FAILED
  }

  /** Whether the guest may have changed (an activation ran). */
  public boolean activated() {
    return kind == Kind.SWITCHED || kind == Kind.ROLLED_BACK || kind == Kind.ROLLBACK_FAILED;
  }
}
