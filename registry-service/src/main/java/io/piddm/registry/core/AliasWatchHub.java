package io.piddm.registry.core;

import io.piddm.proto.v1.AliasEvent;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.WatchAliasesRequest;
import io.piddm.registry.store.StoreUnavailableException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Fans alias moves out to WatchAliases streams. Moves made by this registry arrive at once; moves
 * made by other replicas sharing the bucket are found by polling the alias records (only changed
 * ETags are re-read) every {@code interval}.
 */
public final class AliasWatchHub implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(AliasWatchHub.class);

  private final Registry registry;
  private final Duration interval;
  private final Map<String, AliasRecord> latest = new ConcurrentHashMap<>();
  private final Map<String, Map.Entry<String, AliasRecord>> etags = new HashMap<>();
  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller;
  private volatile boolean scanned;

  public AliasWatchHub(Registry registry, Duration interval) {
    this.registry = registry;
    this.interval = interval;
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "registry-alias-poller");
              thread.setDaemon(true);
              return thread;
            });
    registry.onAliasMove(this::publish);
  }

  public void start() {
    poller.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (StoreUnavailableException e) {
      LOG.debugf("alias poll skipped: %s", e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("alias poll failed", e);
    }
  }

  /** Reads every alias record and publishes those newer than what watchers have. */
  synchronized void poll() {
    Map<String, AliasRecord> now = registry.scanAliases(etags);
    now.values().forEach(this::publish);
    scanned = true;
  }

  private void publish(AliasRecord record) {
    String key = record.getModelName() + "/" + record.getAlias();
    AliasRecord merged =
        latest.merge(key, record, (old, add) -> add.getRevision() > old.getRevision() ? add : old);
    if (merged != record) {
      return;
    }
    for (Watcher watcher : watchers) {
      watcher.offer(key, record, false);
    }
  }

  /**
   * Subscribes {@code sink} to moves matching {@code request}: the current state first (initial),
   * then changes. INVALID_ARGUMENT for a malformed filter. Close the handle to stop.
   */
  public AutoCloseable watch(WatchAliasesRequest request, Consumer<AliasEvent> sink) {
    String model = request.getModelName().isEmpty() ? "" : Names.model(request.getModelName());
    String alias = request.getAlias().isEmpty() ? "" : Names.alias(request.getAlias());
    for (String key : request.getSeenRevisionsMap().keySet()) {
      int slash = key.indexOf('/');
      if (slash < 0) {
        throw Errors.invalid("seen_revisions key \"" + key + "\" must be model/alias");
      }
      Names.model(key.substring(0, slash));
      Names.alias(key.substring(slash + 1));
    }
    if (!scanned) {
      poll();
    }
    Watcher watcher = new Watcher(model, alias, request.getSeenRevisionsMap(), sink);
    synchronized (watcher) {
      watchers.add(watcher);
      latest.forEach((key, record) -> watcher.offer(key, record, true));
    }
    return () -> watchers.remove(watcher);
  }

  public int watcherCount() {
    return watchers.size();
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }

  private static final class Watcher {
    private final String model;
    private final String alias;
    private final Map<String, Long> sent;
    private final Consumer<AliasEvent> sink;

    Watcher(String model, String alias, Map<String, Long> seen, Consumer<AliasEvent> sink) {
      this.model = model;
      this.alias = alias;
      this.sent = new HashMap<>(seen);
      this.sink = sink;
    }

    synchronized void offer(String key, AliasRecord record, boolean initial) {
      if (!model.isEmpty() && !model.equals(record.getModelName())) {
        return;
      }
      if (!alias.isEmpty() && !alias.equals(record.getAlias())) {
        return;
      }
      if (record.getRevision() <= sent.getOrDefault(key, 0L)) {
        return;
      }
      sent.put(key, record.getRevision());
      sink.accept(AliasEvent.newBuilder().setAlias(record).setInitial(initial).build());
    }
  }
}
