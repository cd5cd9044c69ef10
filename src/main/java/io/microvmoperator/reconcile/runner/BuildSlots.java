package io.microvmoperator.reconcile.runner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits how many builds the operator runs on one host at once (maxConcurrentBuilds), and wakes the
 * VMs that wait for a slot as soon as one frees, so that a slot never idles until a retry.
 */
public final class BuildSlots {

  private final Map<String, Set<String>> building = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Runnable>> waiting = new ConcurrentHashMap<>();

  /** Takes a slot on {@code host} for {@code vm}; true if it holds one now. */
  synchronized boolean tryAcquire(String host, String vm, int max) {
    Set<String> vms = building.computeIfAbsent(host, h -> ConcurrentHashMap.newKeySet());
    if (vms.contains(vm)) {
      return true;
    }
    if (vms.size() >= max) {
      return false;
    }
    vms.add(vm);
    waitersOf(host).remove(vm);
    return true;
  }

  /**
   * Queues {@code vm} for a slot on {@code host}: {@code wake} runs every time a slot there frees,
   * until the VM takes one or is forgotten.
   */
  synchronized void waitFor(String host, String vm, Runnable wake) {
    waitersOf(host).put(vm, wake);
  }

  /** Whether {@code vm} waits for a slot (it found no build of its own on the host). */
  synchronized boolean isWaiting(String host, String vm) {
    return waitersOf(host).containsKey(vm);
  }

  public void release(String host, String vm) {
    List<Runnable> wake = new ArrayList<>();
    synchronized (this) {
      Set<String> vms = building.get(host);
      if (vms != null && vms.remove(vm)) {
        wake.addAll(waitersOf(host).values());
      }
    }
    wake.forEach(Runnable::run);
  }

  /** Forgets {@code vm}: its slot (waking the waiters) and its place in the queue. */
  public void forget(String host, String vm) {
    synchronized (this) {
      waitersOf(host).remove(vm);
    }
    release(host, vm);
  }

  private Map<String, Runnable> waitersOf(String host) {
    return waiting.computeIfAbsent(host, h -> new LinkedHashMap<>());
  }
}
