package io.piddm.sampler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * Micro-batching of Generate: requests queue here, and each dispatcher thread takes the first one,
 * waits up to {@code maxDelay} for more of the same model version (never mixing versions) up to
 * {@code maxSize} fields, runs them as one ONNX Runtime batch and hands each request its slice.
 * Noise comes from each request's own seed, and ONNX Runtime computes every sample of a batch
 * independently, so a field's bytes do not depend on what it was batched with (tested).
 */
final class GenerateBatcher implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(GenerateBatcher.class);

  /** One request: fields 0..count−1 of {@code seed} from {@code model}. */
  record Job(
      LoadedModel model, long seed, int count, long queuedAt, CompletableFuture<float[]> fields) {}

  private final int maxSize;
  private final long maxDelayNanos;
  private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
  private final List<Thread> dispatchers = new ArrayList<>();
  private final IntConsumer batchSizes;
  private final LongConsumer queueNanos;
  private volatile boolean closed;

  /**
   * @param batchSizes told the number of fields of every batch run
   * @param queueNanos told how long each request waited before its batch ran
   */
  GenerateBatcher(
      int maxSize,
      Duration maxDelay,
      int dispatcherThreads,
      IntConsumer batchSizes,
      LongConsumer queueNanos) {
    this.maxSize = Math.max(1, maxSize);
    this.maxDelayNanos = maxDelay.toNanos();
    this.batchSizes = batchSizes;
    this.queueNanos = queueNanos;
    AtomicInteger n = new AtomicInteger();
    for (int i = 0; i < Math.max(1, dispatcherThreads); i++) {
      Thread t = new Thread(this::dispatch, "sampler-batcher-" + n.incrementAndGet());
      t.setDaemon(true);
      t.start();
      dispatchers.add(t);
    }
  }

  /** Queues a request; the future completes with its fields [count, C, S, S] or an error. */
  CompletableFuture<float[]> submit(LoadedModel model, long seed, int count) {
    CompletableFuture<float[]> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("the sampler is stopping"));
      return result;
    }
    queue.add(new Job(model, seed, count, System.nanoTime(), result));
    return result;
  }

  int waiting() {
    return queue.size();
  }

  private void dispatch() {
    List<Job> batch = new ArrayList<>();
    while (!closed) {
      try {
        Job first = queue.take();
        batch.clear();
        batch.add(first);
        collect(batch, first.count());
        run(batch);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Adds queued jobs of the first job's model until the batch is full or the delay is over. */
  private void collect(List<Job> batch, int fields) throws InterruptedException {
    LoadedModel model = batch.get(0).model();
    long deadline = System.nanoTime() + maxDelayNanos;
    List<Job> other = new ArrayList<>();
    try {
      while (fields < maxSize) {
        long left = deadline - System.nanoTime();
        Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
        if (next == null) {
          return;
        }
        if (next.model() != model || fields + next.count() > maxSize) {
          other.add(next); // another version, or too big for this batch: the next batch takes it
          if (next.model() != model) {
            continue;
          }
          return;
        }
        batch.add(next);
        fields += next.count();
      }
    } finally {
      // back to the front, in order, so they are not overtaken by later arrivals
      for (int i = other.size() - 1; i >= 0; i--) {
        queue.addFirst(other.get(i));
      }
    }
  }

  private void run(List<Job> batch) {
    long started = System.nanoTime();
    var student = batch.get(0).model().student();
    int d = student.dim();
    int total = 0;
    for (Job job : batch) {
      total += job.count();
    }
    try {
      float[] eps = new float[total * d];
      int at = 0;
      for (Job job : batch) {
        float[] own = student.noise(job.seed(), job.count());
        System.arraycopy(own, 0, eps, at, own.length);
        at += own.length;
      }
      float[] fields = student.decode(eps, total);
      batchSizes.accept(total);
      at = 0;
      for (Job job : batch) {
        queueNanos.accept(started - job.queuedAt());
        float[] own = new float[job.count() * d];
        System.arraycopy(fields, at, own, 0, own.length);
        at += own.length;
        job.fields().complete(own);
      }
    } catch (Exception e) {
      LOG.warnf(e, "generate batch of %d fields failed", total);
      for (Job job : batch) {
        job.fields().completeExceptionally(e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    dispatchers.forEach(Thread::interrupt);
    Job job;
    while ((job = queue.poll()) != null) {
      job.fields().completeExceptionally(new IllegalStateException("the sampler is stopping"));
    }
  }
}
