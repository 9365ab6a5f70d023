package io.piddm.registry.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;

/**
 * One object written as a single PUT whose body is sent while its bytes are still arriving, so the
 * store writes a file during the upload instead of after it, and the registry never holds a whole
 * file. Made by {@link ObjectStore#stream}.
 *
 * <p>Buffers go from {@link #write} through a queue of at most {@value #QUEUED} entries to the
 * uploader thread that runs the request; a writer that gets ahead of the store waits, which keeps
 * memory bounded and passes the store's pace back to the gRPC client through flow control. Nothing
 * exists under the key before the last byte has been sent: a stream {@link #abort aborted} before
 * then leaves nothing (an S3 PUT with a short body is discarded), which lets the caller hold the
 * last bytes back until it has checked them. {@link #finish} waits for the store's answer.
 */
public final class ObjectStream {

  /**
   * Buffers waiting for the uploader: gRPC chunks are at most 4 MiB, so at most 16 MiB per stream,
   * and enough that a short stall of the store does not stall the client at once.
   */
  static final int QUEUED = 4;

  private static final long POLL_MILLIS = 100;

  private final long size;
  private final MediaType contentType;
  private final BlockingQueue<ByteBuffer> queue = new ArrayBlockingQueue<>(QUEUED);
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile boolean aborted;
  private volatile Call call;
  private long queued;

  ObjectStream(long size, String contentType) {
    this.size = size;
    // only the object's Content-Type; callers read the declared media_type from the manifest, so a
    // value that is not a media type need not fail the upload
    MediaType parsed = MediaType.parse(contentType);
    this.contentType = parsed != null ? parsed : MediaType.get("application/octet-stream");
  }

  /** The request body: exactly {@code size} bytes taken from the queue as they come. */
  RequestBody body() {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return contentType;
      }

      @Override
      public long contentLength() {
        return size;
      }

      @Override
      public boolean isOneShot() {
        // the bytes are gone once sent: OkHttp must not replay the body on a retry
        return true;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        long sent = 0;
        while (sent < size) {
          ByteBuffer next;
          try {
            next = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("upload interrupted");
          }
          if (aborted) {
            throw new IOException("upload aborted");
          }
          if (next != null) {
            sent += next.remaining();
            sink.write(next);
          }
        }
      }
    };
  }

  /** Runs the request on the calling (uploader) thread and records how it ended. */
  void run(Call call, ObjectStore store) {
    this.call = call;
    if (aborted) {
      call.cancel();
    }
    try (Response response = call.execute()) {
      if (response.isSuccessful()) {
        done.complete(null);
      } else {
        done.completeExceptionally(store.refusal(response));
      }
    } catch (IOException | RuntimeException e) {
      done.completeExceptionally(
          aborted ? new StoreUnavailableException("upload aborted", e) : store.failure(e));
    }
  }

  /** The uploader could not be started at all. */
  void failed(StoreException e) {
    done.completeExceptionally(e);
  }

  /**
   * Hands the bytes of {@code data} (which must not change afterwards) to the uploader, waiting
   * while the queue is full. Throws the store's error if the PUT has already failed.
   */
  public void write(ByteBuffer data) {
    int n = data.remaining();
    if (n == 0) {
      return;
    }
    if (queued + n > size) {
      throw new IllegalStateException(
          "writing " + (queued + n) + " bytes into a stream of " + size);
    }
    try {
      while (!queue.offer(data, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        throwIfFailed();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new StoreUnavailableException("interrupted while writing to the object store", e);
    }
    queued += n;
    throwIfFailed();
  }

  /** Every byte written: waits until the store has stored the object (or refused it). */
  public void finish() {
    if (queued != size) {
      throw new IllegalStateException("finishing a stream after " + queued + " of " + size);
    }
    try {
      done.get();
    } catch (ExecutionException e) {
      throw (StoreException) e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      throw new StoreUnavailableException("interrupted while waiting for the object store", e);
    }
  }

  /**
   * Stops the PUT before its last byte, so the store keeps nothing, and waits for the uploader to
   * let go (a caller deleting the key afterwards must not race a PUT still completing). Safe to
   * call more than once and after {@link #finish}.
   */
  public void abort() {
    aborted = true;
    Call running = call;
    if (running != null) {
      running.cancel();
    }
    queue.clear();
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // it failed, which is what aborting asks for; a PUT that hangs on is cut by OkHttp's timeouts
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void throwIfFailed() {
    if (done.isCompletedExceptionally()) {
      try {
        done.get();
      } catch (ExecutionException e) {
        throw (StoreException) e.getCause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted", e);
      }
    }
  }
}
