package io.piddm.sampler;

import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.ModelManifest;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * A student being served, with where it came from, and a count of its users: the holder's own
 * reference plus one per request in flight. A replaced model is retired (the holder drops its
 * reference) and its ONNX Runtime sessions close when the last request using it releases it, so
 * in-flight work drains on the old version and nothing waits on a timer.
 */
final class LoadedModel {

  private static final Logger LOG = Logger.getLogger(LoadedModel.class);

  private final StudentModel student;
  private final ModelIdentity identity;
  private final ModelManifest manifest;
  private final Instant loadedAt;
  private final Runnable onClosed;
  private final AtomicInteger users = new AtomicInteger(1);

  LoadedModel(
      StudentModel student,
      ModelIdentity identity,
      ModelManifest manifest,
      Instant loadedAt,
      Runnable onClosed) {
    this.student = student;
    this.identity = identity;
    this.manifest = manifest;
    this.loadedAt = loadedAt;
    this.onClosed = onClosed;
  }

  StudentModel student() {
    return student;
  }

  ModelIdentity identity() {
    return identity;
  }

  ModelManifest manifest() {
    return manifest;
  }

  Instant loadedAt() {
    return loadedAt;
  }

  String versionLabel() {
    return Long.toString(identity.getVersion());
  }

  String providerLabel() {
    return student.provider().name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Takes a reference for one request; false once the model is retired and drained. */
  boolean tryAcquire() {
    while (true) {
      int n = users.get();
      if (n == 0) {
        return false;
      }
      if (users.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Gives a reference back; the last one closes the sessions. */
  void release() {
    int left = users.decrementAndGet();
    if (left == 0) {
      try {
        student.close();
        LOG.infof("closed version %d (drained)", identity.getVersion());
      } catch (Exception e) {
        LOG.warnf(e, "closing version %d", identity.getVersion());
      } finally {
        onClosed.run();
      }
    } else if (left < 0) {
      throw new IllegalStateException("version " + identity.getVersion() + " released twice");
    }
  }

  /** Drops the holder's reference: called once, when another model replaces this one. */
  void retire() {
    release();
  }

  /** Requests using the model now (not counting the holder's reference). */
  int requestsInFlight() {
    return Math.max(0, users.get() - 1);
  }
}
