package io.piddm.api.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.piddm.api.InProcessService;
import io.piddm.proto.v1.CancelRunRequest;
import io.piddm.proto.v1.CancelRunResponse;
import io.piddm.proto.v1.GetRunRequest;
import io.piddm.proto.v1.GetRunResponse;
import io.piddm.proto.v1.ListRunsRequest;
import io.piddm.proto.v1.ListRunsResponse;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.RunState;
import io.piddm.proto.v1.StartRunRequest;
import io.piddm.proto.v1.StartRunResponse;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.proto.v1.WatchRunRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The trainer client against an in-process trainer that records what it was sent. */
class TrainerClientTest {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final List<String> authorizations = new ArrayList<>();
  private final List<Object> requests = new ArrayList<>();
  private InProcessService service;
  private ManagedChannel channel;

  /** Five runs in pages of two; run "r-1" reports three events then ends succeeded. */
  private final class FakeTrainer extends TrainerServiceGrpc.TrainerServiceImplBase {
    @Override
    public void startRun(StartRunRequest request, StreamObserver<StartRunResponse> response) {
      requests.add(request);
      response.onNext(
          StartRunResponse.newBuilder()
              .setRun(Run.newBuilder().setRunId("r-1").setState(RunState.RUN_STATE_QUEUED))
              .build());
      response.onCompleted();
    }

    @Override
    public void getRun(GetRunRequest request, StreamObserver<GetRunResponse> response) {
      response.onNext(
          GetRunResponse.newBuilder()
              .setRun(
                  Run.newBuilder()
                      .setRunId(request.getRunId())
                      .setState(RunState.RUN_STATE_SUCCEEDED))
              .build());
      response.onCompleted();
    }

    @Override
    public void watchRun(WatchRunRequest request, StreamObserver<RunEvent> response) {
      for (int step = 1; step <= 3; step++) {
        response.onNext(RunEvent.newBuilder().setStep(step).setTotalSteps(3).build());
      }
      response.onCompleted();
    }

    @Override
    public void cancelRun(CancelRunRequest request, StreamObserver<CancelRunResponse> response) {
      requests.add(request);
      response.onNext(
          CancelRunResponse.newBuilder()
              .setRun(
                  Run.newBuilder()
                      .setRunId(request.getRunId())
                      .setState(RunState.RUN_STATE_CANCELLED))
              .build());
      response.onCompleted();
    }

    @Override
    public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> response) {
      requests.add(request);
      int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
      ListRunsResponse.Builder page = ListRunsResponse.newBuilder();
      for (int k = from; k < Math.min(5, from + 2); k++) {
        page.addRuns(Run.newBuilder().setRunId("r-" + k));
      }
      if (from + 2 < 5) {
        page.setNextPageToken(Integer.toString(from + 2));
      }
      response.onNext(page.build());
      response.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor recordToken =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            authorizations.add(headers.get(AUTHORIZATION));
            return next.startCall(call, headers);
          }
        };
    service = InProcessService.start(ServerInterceptors.intercept(new FakeTrainer(), recordToken));
    channel = service.channel();
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void startsWithTheBearerTokenAndFollowsTheRunToItsEnd() throws Exception {
    try (TrainerClient client = new TrainerClient(channel, "s3cret")) {
      RunSpec spec = RunSpec.newBuilder().setResolution(32).setSeed(7).build();
      Run started = client.start(spec);
      List<Long> steps = new ArrayList<>();
      Run ended = client.watch(started.getRunId(), e -> steps.add(e.getStep()));

      assertThat(started.getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
      assertThat(((StartRunRequest) requests.get(0)).getSpec()).isEqualTo(spec);
      assertThat(steps).containsExactly(1L, 2L, 3L);
      assertThat(ended.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
      assertThat(authorizations).isNotEmpty().allMatch("Bearer s3cret"::equals);
    }
  }

  @Test
  void listsEveryPageAndCancelsWithTheReason() throws Exception {
    try (TrainerClient client = new TrainerClient(channel, null)) {
      List<Run> runs = client.list(RunState.RUN_STATE_RUNNING);
      Run cancelled = client.cancel("r-3", "wrong grid");

      assertThat(runs).extracting(Run::getRunId).containsExactly("r-0", "r-1", "r-2", "r-3", "r-4");
      assertThat(requests.subList(0, 3))
          .allSatisfy(
              r -> {
                assertThat(((ListRunsRequest) r).getState()).isEqualTo(RunState.RUN_STATE_RUNNING);
                assertThat(((ListRunsRequest) r).getPageSize()).isEqualTo(TrainerClient.PAGE_SIZE);
              });
      assertThat(((CancelRunRequest) requests.get(3)).getReason()).isEqualTo("wrong grid");
      assertThat(cancelled.getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
      // reads without a token send no authorization header
      assertThat(authorizations).containsOnlyNulls();
    }
    // the caller's channel stays open after close
    assertThat(channel.isShutdown()).isFalse();
  }
}
