package io.piddm.trainer;

import io.grpc.stub.ServerCallStreamObserver;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunState;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The WatchRun streams of every run. Each watcher has its own small backlog, sent as fast as the
 * client's flow control allows: phase changes and the final event are always delivered, but a
 * progress report replaces an unsent progress report of the same phase, so a slow client gets the
 * newest progress instead of an ever-growing queue.
 */
final class RunWatchers {

  private final Map<String, Set<Watcher>> byRun = new ConcurrentHashMap<>();

  /** Starts a watch with {@code current} as its first event; ends it at once if terminal. */
  void add(String runId, RunEvent current, ServerCallStreamObserver<RunEvent> stream) {
    Watcher watcher = new Watcher(stream);
    Set<Watcher> watchers = byRun.computeIfAbsent(runId, id -> ConcurrentHashMap.newKeySet());
    watchers.add(watcher);
    stream.setOnCancelHandler(() -> watchers.remove(watcher));
    stream.setOnReadyHandler(watcher::drain);
    watcher.offer(current, false);
    if (watcher.isClosed()) {
      watchers.remove(watcher);
    }
  }

  /** Sends {@code event} to every watcher of its run; {@code progress} events may be coalesced. */
  void publish(RunEvent event, boolean progress) {
    Set<Watcher> watchers = byRun.get(event.getRunId());
    if (watchers == null) {
      return;
    }
    for (Watcher w : watchers) {
      w.offer(event, progress);
      if (w.isClosed()) {
        watchers.remove(w);
      }
    }
  }

  int count() {
    return byRun.values().stream().mapToInt(Set::size).sum();
  }

  static boolean isTerminal(RunState state) {
    return state == RunState.RUN_STATE_SUCCEEDED
        || state == RunState.RUN_STATE_FAILED
        || state == RunState.RUN_STATE_CANCELLED;
  }

  private static final class Watcher {
    private final ServerCallStreamObserver<RunEvent> stream;
    private final ArrayDeque<RunEvent> pending = new ArrayDeque<>();
    private boolean lastIsProgress;
    private boolean closed;

    Watcher(ServerCallStreamObserver<RunEvent> stream) {
      this.stream = stream;
    }

    synchronized boolean isClosed() {
      return closed;
    }

    synchronized void offer(RunEvent event, boolean progress) {
      if (closed) {
        return;
      }
      if (progress
          && lastIsProgress
          && !pending.isEmpty()
          && pending.peekLast().getPhase() == event.getPhase()) {
        pending.pollLast();
      }
      pending.addLast(event);
      lastIsProgress = progress;
      drain();
    }

    synchronized void drain() {
      while (!closed && !pending.isEmpty() && (stream.isReady() || stream.isCancelled())) {
        if (stream.isCancelled()) {
          closed = true;
          pending.clear();
          return;
        }
        RunEvent next = pending.pollFirst();
        if (pending.isEmpty()) {
          lastIsProgress = false;
        }
        stream.onNext(next);
        if (isTerminal(next.getState())) {
          closed = true;
          pending.clear();
          stream.onCompleted();
        }
      }
    }
  }
}
