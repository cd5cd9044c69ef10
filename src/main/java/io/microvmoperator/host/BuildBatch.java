package io.microvmoperator.host;

import io.microvmoperator.nix.VmName;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Runners of several VMs of one host built together from one locked flake: one evaluation and one
 * build for all (see {@link HostOperations#startBatch}). The first member is the caller's own VM.
 *
 * @param id names the batch's folder on the host; new for every batch
 */
public record BuildBatch(String id, List<Member> members) {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** One VM of the batch and its flake build. */
  public record Member(VmName vm, BuildRequest request) {}

  public BuildBatch {
    members = List.copyOf(members);
    if (!id.matches("[0-9a-f]{12}")) {
      throw new IllegalArgumentException("a batch id is 12 hex digits: " + id);
    }
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a batch has members");
    }
    Object key = members.get(0).request().batchKey().orElseThrow();
    for (Member member : members) {
      if (!member.request().batchKey().orElseThrow().equals(key)) {
        throw new IllegalArgumentException("a batch builds from one flake with one set of caches");
      }
    }
  }

  /** A batch of {@code members} with a new id. */
  public static BuildBatch of(List<Member> members) {
    byte[] id = new byte[6];
    RANDOM.nextBytes(id);
    return new BuildBatch(HexFormat.of().formatHex(id), members);
  }

  /** What every member builds from: the first member's request (all share its flake and caches). */
  BuildRequest common() {
    return members.get(0).request();
  }
}
