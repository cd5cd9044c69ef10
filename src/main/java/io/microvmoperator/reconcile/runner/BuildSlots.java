package io.microvmoperator.reconcile.runner;

import io.microvmoperator.host.BuildBatch;
import io.microvmoperator.host.BuildRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Limits how many builds the operator runs on one host at once (maxConcurrentBuilds), and wakes the
 * VMs that wait for a slot as soon as one frees, so that a slot never idles until a retry. A VM
 * that takes a slot takes the waiting VMs whose runners come from the same flake with it into one
 * batch ({@link #joinBatch}): the batch's members share that one slot, which frees when the last of
 * them is done.
 */
public final class BuildSlots {

  /** The most runners one batch builds. */
  public static final int BATCH_LIMIT = 50;

  /** A VM queued for a slot (by its key): how to wake it, and what it would build. */
  record Waiter(String vm, Runnable wake, BuildBatch.Member build) {}

  /** Per host, per building VM: the VMs that share its slot (one set per slot, shared). */
  private final Map<String, Map<String, Set<String>>> building = new LinkedHashMap<>();

  private final Map<String, Map<String, Waiter>> waiting = new LinkedHashMap<>();

  /** VMs taken into a batch, by host and VM: whether the batch's start has ended. */
  private final Map<String, Boolean> joined = new HashMap<>();

  /** What a VM knows of the batch another VM took it into. */
  enum Joined {
    /** In no batch it has not looked at yet. */
    NO,
    /** Its batch is being started: its job is not to be looked at (or started) yet. */
    STARTING,
    /** Its batch was started (or its start failed); true once, at the VM's first look. */
    STARTED
  }

  /** Takes a slot on {@code host} for {@code vm}; true if it holds one now (or shares one). */
  synchronized boolean tryAcquire(String host, String vm, int max) {
    Map<String, Set<String>> vms = buildingOn(host);
    if (vms.containsKey(vm)) {
      return true;
    }
    if (new HashSet<>(vms.values()).size() >= max) {
      return false;
    }
    Set<String> slot = new HashSet<>();
    slot.add(vm);
    vms.put(vm, slot);
    waitersOf(host).remove(vm);
    return true;
  }

  /**
   * Queues {@code vm} for a slot on {@code host}: {@code wake} runs every time a slot there frees,
   * until the VM takes one, joins a batch, or is forgotten.
   */
  synchronized void waitFor(String host, String vm, Runnable wake, BuildBatch.Member build) {
    if (!buildingOn(host).containsKey(vm)) {
      waitersOf(host).put(vm, new Waiter(vm, wake, build));
    }
  }

  /** Whether {@code vm} waits for a slot (it found no build of its own on the host). */
  synchronized boolean isWaiting(String host, String vm) {
    return waitersOf(host).containsKey(vm);
  }

  /**
   * Moves the VMs waiting on {@code host} whose builds share {@code leader}'s flake and caches (and
   * build another runner) into {@code leader}'s slot, in the order they queued, up to {@link
   * #BATCH_LIMIT} in all; returns them, to be built with it and woken once the batch runs.
   */
  synchronized List<Waiter> joinBatch(String host, String leader, BuildRequest leaderBuild) {
    Optional<String> key = leaderBuild.batchKey();
    Set<String> slot = buildingOn(host).get(leader);
    List<Waiter> members = new ArrayList<>();
    if (key.isEmpty() || slot == null || slot.size() > 1) {
      return members;
    }
    Set<String> installables = new HashSet<>(Set.of(leaderBuild.installable()));
    Iterator<Map.Entry<String, Waiter>> queued = waitersOf(host).entrySet().iterator();
    while (queued.hasNext() && members.size() + 1 < BATCH_LIMIT) {
      Map.Entry<String, Waiter> next = queued.next();
      BuildRequest build = next.getValue().build().request();
      if (key.equals(build.batchKey()) && installables.add(build.installable())) {
        queued.remove();
        slot.add(next.getKey());
        buildingOn(host).put(next.getKey(), slot);
        joined.put(host + "/" + next.getKey(), false);
        members.add(next.getValue());
      }
    }
    return members;
  }

  /** The start of the batch that took {@code members} has ended, however it ended. */
  synchronized void batchStarted(String host, List<Waiter> members) {
    members.forEach(member -> joined.replace(host + "/" + member.vm(), true));
  }

  /**
   * Whether {@code vm} was taken into a batch it has not looked at yet: {@link Joined#STARTED}
   * once, at its first look after the batch started, when it announces the build it is part of.
   */
  synchronized Joined takeJoined(String host, String vm) {
    Boolean started = joined.get(host + "/" + vm);
    if (started == null) {
      return Joined.NO;
    }
    if (!started) {
      return Joined.STARTING;
    }
    joined.remove(host + "/" + vm);
    return Joined.STARTED;
  }

  /** {@code vm} no longer builds; its slot frees (and the waiters wake) when no VM shares it. */
  public void release(String host, String vm) {
    List<Runnable> wake = new ArrayList<>();
    synchronized (this) {
      joined.remove(host + "/" + vm);
      Set<String> slot = buildingOn(host).remove(vm);
      if (slot != null && slot.remove(vm) && slot.isEmpty()) {
        waitersOf(host).values().forEach(waiter -> wake.add(waiter.wake()));
      }
    }
    wake.forEach(Runnable::run);
  }

  /** Forgets {@code vm}: its share of a slot (waking the waiters) and its place in the queue. */
  public void forget(String host, String vm) {
    synchronized (this) {
      waitersOf(host).remove(vm);
    }
    release(host, vm);
  }

  private Map<String, Set<String>> buildingOn(String host) {
    return building.computeIfAbsent(host, h -> new LinkedHashMap<>());
  }

  private Map<String, Waiter> waitersOf(String host) {
    return waiting.computeIfAbsent(host, h -> new LinkedHashMap<>());
  }
}
