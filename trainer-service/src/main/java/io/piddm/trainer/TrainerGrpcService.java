package io.piddm.trainer;

import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.piddm.proto.v1.CancelRunRequest;
import io.piddm.proto.v1.CancelRunResponse;
import io.piddm.proto.v1.GetRunRequest;
import io.piddm.proto.v1.GetRunResponse;
import io.piddm.proto.v1.ListRunsRequest;
import io.piddm.proto.v1.ListRunsResponse;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.StartRunRequest;
import io.piddm.proto.v1.StartRunResponse;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.proto.v1.WatchRunRequest;
import io.piddm.service.BearerAuth;
import io.piddm.service.StrictRequests;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.List;

/** TrainerService on the wire: validation and mapping; {@link RunScheduler} does the work. */
@GrpcService
@RegisterInterceptor(TrainerAuth.class)
public class TrainerGrpcService extends TrainerServiceGrpc.TrainerServiceImplBase {

  /** Requests that are not valid messages answer INVALID_ARGUMENT, not UNKNOWN. */
  @Override
  public ServerServiceDefinition bindService() {
    return StrictRequests.of(super.bindService());
  }

  private static final int MAX_PAGE = 100;

  private final RunScheduler scheduler;

  public TrainerGrpcService(RunScheduler scheduler) {
    this.scheduler = scheduler;
  }

  @Override
  @Blocking
  public void startRun(StartRunRequest request, StreamObserver<StartRunResponse> response) {
    if (!request.hasSpec()) {
      throw RunSpecs.invalid("spec is required");
    }
    Run run = scheduler.submit(request.getSpec(), BearerAuth.ACTOR.get());
    response.onNext(StartRunResponse.newBuilder().setRun(run).build());
    response.onCompleted();
  }

  @Override
  public void watchRun(WatchRunRequest request, StreamObserver<RunEvent> response) {
    scheduler.watch(runId(request.getRunId()), (ServerCallStreamObserver<RunEvent>) response);
  }

  @Override
  @Blocking
  public void cancelRun(CancelRunRequest request, StreamObserver<CancelRunResponse> response) {
    Run run = scheduler.cancel(runId(request.getRunId()), request.getReason());
    response.onNext(CancelRunResponse.newBuilder().setRun(run).build());
    response.onCompleted();
  }

  @Override
  public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> response) {
    if (request.getPageSize() < 0) {
      throw RunSpecs.invalid("page_size must not be negative");
    }
    int size = request.getPageSize() == 0 ? 20 : Math.min(request.getPageSize(), MAX_PAGE);
    int offset = 0;
    if (!request.getPageToken().isEmpty()) {
      try {
        offset = Integer.parseInt(request.getPageToken());
      } catch (NumberFormatException e) {
        offset = -1;
      }
      if (offset < 0) {
        throw RunSpecs.invalid("page_token is not one this service handed out");
      }
    }
    List<Run> all = scheduler.list(request.getState());
    int end = Math.min(all.size(), offset + size);
    ListRunsResponse.Builder page = ListRunsResponse.newBuilder();
    if (offset < all.size()) {
      page.addAllRuns(all.subList(offset, end));
    }
    if (end < all.size()) {
      page.setNextPageToken(Integer.toString(end));
    }
    response.onNext(page.build());
    response.onCompleted();
  }

  @Override
  public void getRun(GetRunRequest request, StreamObserver<GetRunResponse> response) {
    response.onNext(
        GetRunResponse.newBuilder().setRun(scheduler.get(runId(request.getRunId()))).build());
    response.onCompleted();
  }

  private static String runId(String id) {
    if (id == null || id.isBlank()) {
      throw Status.INVALID_ARGUMENT.withDescription("run_id is required").asRuntimeException();
    }
    return id;
  }
}
