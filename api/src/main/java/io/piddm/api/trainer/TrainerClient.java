package io.piddm.api.trainer;

import io.grpc.ManagedChannel;
import io.piddm.api.BearerToken;
import io.piddm.probe.GrpcChannels;
import io.piddm.proto.v1.CancelRunRequest;
import io.piddm.proto.v1.GetRunRequest;
import io.piddm.proto.v1.ListRunsRequest;
import io.piddm.proto.v1.ListRunsResponse;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.RunState;
import io.piddm.proto.v1.StartRunRequest;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.proto.v1.WatchRunRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client of the trainer (trainer.proto): start a run, follow it, cancel it, list runs. Starting
 * and cancelling need the trainer's bearer token; reads work without one. Errors are the trainer's
 * {@link io.grpc.StatusRuntimeException}s (INVALID_ARGUMENT for a spec it refuses, NOT_FOUND for an
 * unknown run, UNAUTHENTICATED / PERMISSION_DENIED without a valid token).
 */
public final class TrainerClient implements AutoCloseable {

  public static final String DEFAULT_TARGET = "localhost:9101";

  /** Runs asked for per ListRuns page (the trainer's largest). */
  static final int PAGE_SIZE = 100;

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final TrainerServiceGrpc.TrainerServiceBlockingStub stub;

  /** A channel to {@code target} ({@code host:port}; TLS when PIDDM_CA_FILE names a CA). */
  public TrainerClient(String target, String token) {
    this(GrpcChannels.forTarget(target).build(), token, true);
  }

  /** Over a channel the caller owns (and closes). */
  public TrainerClient(ManagedChannel channel, String token) {
    this(channel, token, false);
  }

  private TrainerClient(ManagedChannel channel, String token, boolean ownsChannel) {
    this.channel = channel;
    this.ownsChannel = ownsChannel;
    TrainerServiceGrpc.TrainerServiceBlockingStub s = TrainerServiceGrpc.newBlockingStub(channel);
    if (BearerToken.present(token)) {
      s = s.withInterceptors(BearerToken.header(token));
    }
    this.stub = s;
  }

  /** The stub with the token attached, for RPCs this class does not wrap. */
  public TrainerServiceGrpc.TrainerServiceBlockingStub stub() {
    return stub;
  }

  /** Queues a run of {@code spec}; the run as the trainer accepted it. */
  public Run start(RunSpec spec) {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS)
        .startRun(StartRunRequest.newBuilder().setSpec(spec).build())
        .getRun();
  }

  public Run get(String runId) {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS)
        .getRun(GetRunRequest.newBuilder().setRunId(runId).build())
        .getRun();
  }

  /** Cancels a run (a finished run answers FAILED_PRECONDITION); the run as it is now. */
  public Run cancel(String runId, String reason) {
    return stub.withDeadlineAfter(60, TimeUnit.SECONDS)
        .cancelRun(
            CancelRunRequest.newBuilder()
                .setRunId(runId)
                .setReason(reason == null ? "" : reason)
                .build())
        .getRun();
  }

  /** Every run in {@code state} (RUN_STATE_UNSPECIFIED: all), newest first, following the pages. */
  public List<Run> list(RunState state) {
    List<Run> all = new ArrayList<>();
    String page = "";
    do {
      ListRunsResponse r =
          stub.withDeadlineAfter(30, TimeUnit.SECONDS)
              .listRuns(
                  ListRunsRequest.newBuilder()
                      .setState(state)
                      .setPageSize(PAGE_SIZE)
                      .setPageToken(page)
                      .build());
      all.addAll(r.getRunsList());
      page = r.getNextPageToken();
    } while (!page.isEmpty());
    return all;
  }

  /**
   * Follows a run until it ends: {@code events} sees every event in order, on this thread (the
   * stream is read one message at a time); returns the run as it ended.
   */
  public Run watch(String runId, Consumer<RunEvent> events) {
    Iterator<RunEvent> stream = stub.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
    while (stream.hasNext()) {
      events.accept(stream.next());
    }
    return get(runId);
  }

  @Override
  public void close() throws InterruptedException {
    if (ownsChannel) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
