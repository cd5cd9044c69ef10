package io.microvmoperator.bench;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.testenv.Sleep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * What the API server sees, from informers (list, then watch): when each MicroVM first became
 * Ready, and how many writes were made (every update of a MicroVM or MicroVMHost is one write;
 * every added or updated Kubernetes Event is one).
 */
final class ApiWatch implements AutoCloseable {

  private record Waiter(Predicate<MicroVM> condition, CompletableFuture<Long> seenAt) {}

  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final Map<String, Long> firstReadyNanos = new ConcurrentHashMap<>();
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
  private final AtomicLong microVMWrites = new AtomicLong();
  private final AtomicLong hostWrites = new AtomicLong();
  private final AtomicLong eventWrites = new AtomicLong();

  static ApiWatch start(KubernetesClient client) {
    ApiWatch watch = new ApiWatch();
    watch.informers.add(
        client
            .resources(MicroVM.class)
            .inAnyNamespace()
            .inform(watch.on(watch.microVMWrites, watch::seen)));
    watch.informers.add(
        client.resources(MicroVMHost.class).inform(watch.on(watch.hostWrites, host -> {})));
    watch.informers.add(
        client
            .v1()
            .events()
            .inAnyNamespace()
            .inform(
                watch.<Event>on(new AtomicLong(), event -> watch.eventWrites.incrementAndGet())));
    return watch;
  }

  /** Counts updates in {@code updates} and hands every added or updated object to {@code seen}. */
  private <T> ResourceEventHandler<T> on(AtomicLong updates, Consumer<T> seen) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T resource) {
        seen.accept(resource);
      }

      @Override
      public void onUpdate(T old, T resource) {
        updates.incrementAndGet();
        seen.accept(resource);
      }

      @Override
      public void onDelete(T resource, boolean finalStateUnknown) {}
    };
  }

  private void seen(MicroVM vm) {
    long now = System.nanoTime();
    if (isReady(vm)) {
      firstReadyNanos.putIfAbsent(key(vm), now);
    }
    for (Waiter waiter : waiters) {
      if (waiter.condition().test(vm)) {
        waiter.seenAt().complete(now);
      }
    }
  }

  static boolean isReady(MicroVM vm) {
    return vm.getStatus() != null
        && Objects.equals(vm.getStatus().observedGeneration(), vm.getMetadata().getGeneration())
        && vm.getStatus().conditionsOrEmpty().stream()
            .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
  }

  static String key(MicroVM vm) {
    return vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName();
  }

  /** Waits until {@code count} MicroVMs were seen Ready; returns their times, sorted. */
  List<Long> awaitReady(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (firstReadyNanos.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + firstReadyNanos.size() + " of " + count + " MicroVMs Ready after " + timeout);
      }
      Sleep.millis(100);
    }
    return firstReadyNanos.values().stream().sorted().toList();
  }

  /** Registers {@code condition} now; the future completes when a watched MicroVM meets it. */
  CompletableFuture<Long> when(Predicate<MicroVM> condition) {
    Waiter waiter = new Waiter(condition, new CompletableFuture<>());
    waiters.add(waiter);
    return waiter.seenAt();
  }

  static long await(CompletableFuture<Long> seenAt, Duration timeout) {
    try {
      return seenAt.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("not seen within " + timeout, e);
    }
  }

  /** Writes seen so far: MicroVMs, MicroVMHosts, Kubernetes Events. */
  Writes writes() {
    return new Writes(microVMWrites.get(), hostWrites.get(), eventWrites.get());
  }

  record Writes(long microVMs, long hosts, long events) {
    Writes minus(Writes earlier) {
      return new Writes(
          microVMs - earlier.microVMs, hosts - earlier.hosts, events - earlier.events);
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
