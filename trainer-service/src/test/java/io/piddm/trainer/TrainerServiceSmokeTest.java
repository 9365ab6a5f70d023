package io.piddm.trainer;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.piddm.proto.v1.CancelRunRequest;
import io.piddm.proto.v1.ListRunsRequest;
import io.piddm.proto.v1.StartRunRequest;
import io.piddm.proto.v1.StartRunResponse;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.service.testing.ServiceSmokeTest;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

@QuarkusTest
class TrainerServiceSmokeTest extends ServiceSmokeTest {

  @Override
  protected List<ServiceDescriptor> services() {
    return List.of(TrainerServiceGrpc.getServiceDescriptor());
  }

  /** The runs on record: a refused StartRun or CancelRun must leave them as they were. */
  @Override
  protected String observableState() {
    return TrainerServiceGrpc.newBlockingStub(authorisedChannel())
        .listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsList()
        .stream()
        .map(r -> r.getRunId() + ":" + r.getState())
        .sorted()
        .collect(Collectors.joining(","));
  }

  /** A tiny run's spec to mutate (TrainerServiceTest's), and run ids for the other RPCs. */
  @Override
  protected List<? extends Message> validRequests(MethodDescriptor<?, ?> method) {
    return switch (method.getBareMethodName()) {
      case "StartRun" ->
          List.of(StartRunRequest.newBuilder().setSpec(TrainerServiceTest.tiny()).build());
      default -> super.validRequests(method);
    };
  }

  /** A generated spec that happens to be valid is queued: cancel it before it trains for long. */
  @Override
  protected void afterAccepted(MethodDescriptor<?, ?> method, byte[] firstResponse) {
    if (method.getBareMethodName().equals("StartRun")) {
      try {
        String run = StartRunResponse.parseFrom(firstResponse).getRun().getRunId();
        TrainerServiceGrpc.newBlockingStub(authorisedChannel())
            .cancelRun(CancelRunRequest.newBuilder().setRunId(run).build());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("StartRun answered OK with a response that does not parse", e);
      }
    }
  }

  @Override
  protected boolean mutates(MethodDescriptor<?, ?> method) {
    return Set.of("StartRun", "CancelRun").contains(method.getBareMethodName());
  }

  @Override
  protected String token() {
    return "test-token";
  }
}
