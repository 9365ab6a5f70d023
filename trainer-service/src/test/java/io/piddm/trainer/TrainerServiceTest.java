package io.piddm.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.piddm.proto.v1.CancelRunRequest;
import io.piddm.proto.v1.DatasetSpec;
import io.piddm.proto.v1.EvaluationSettings;
import io.piddm.proto.v1.GetRunRequest;
import io.piddm.proto.v1.ListRunsRequest;
import io.piddm.proto.v1.PairBankSettings;
import io.piddm.proto.v1.Pde;
import io.piddm.proto.v1.PublishSettings;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunPhase;
import io.piddm.proto.v1.RunSpec;
import io.piddm.proto.v1.RunState;
import io.piddm.proto.v1.StartRunRequest;
import io.piddm.proto.v1.StudentSettings;
import io.piddm.proto.v1.TeacherSettings;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.proto.v1.WatchRunRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TrainerService over a real socket: whole tiny runs with real DJL steps, cancel, bad input. */
@QuarkusTest
class TrainerServiceTest {

  private ManagedChannel channel;
  private TrainerServiceGrpc.TrainerServiceBlockingStub anonymous;
  private TrainerServiceGrpc.TrainerServiceBlockingStub authorised;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", 19101).usePlaintext().build();
    anonymous = TrainerServiceGrpc.newBlockingStub(channel);
    authorised = withToken("test-token");
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private TrainerServiceGrpc.TrainerServiceBlockingStub withToken(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return anonymous.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** 16², a tiny net and a handful of steps per phase: seconds, not minutes. */
  static RunSpec.Builder tiny() {
    return RunSpec.newBuilder()
        .setPde(Pde.PDE_DARCY)
        .setResolution(16)
        .setProfile("quick")
        .setDataset(DatasetSpec.newBuilder().setCount(12).setHeldOutCount(4))
        .setTeacher(
            TeacherSettings.newBuilder()
                .setPreset("tiny")
                .setSteps(6)
                .setBatchSize(4)
                .setWarmupSteps(2)
                .setSamplerSteps(2))
        .setPairBank(PairBankSettings.newBuilder().setSize(4).setTeacherSteps(2))
        .setStudent(StudentSettings.newBuilder().setSteps(4).setBatchSize(4))
        .setEvaluation(EvaluationSettings.newBuilder().setSamples(2))
        .setPublish(PublishSettings.newBuilder().setSkip(true))
        .setThreads(1);
  }

  private Run start(RunSpec spec) {
    return authorised.startRun(StartRunRequest.newBuilder().setSpec(spec).build()).getRun();
  }

  private List<RunEvent> watchToTheEnd(String runId) {
    List<RunEvent> events = new ArrayList<>();
    Iterator<RunEvent> stream =
        anonymous
            .withDeadlineAfter(5, TimeUnit.MINUTES)
            .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
    stream.forEachRemaining(events::add);
    return events;
  }

  @Test
  void aRunGoesThroughEveryPhaseStreamsProgressAndKeepsItsMetrics() {
    Run queued = start(tiny().putLabels("purpose", "test").build());
    assertThat(queued.getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    assertThat(queued.getRunId()).startsWith("run-");

    List<RunEvent> events = watchToTheEnd(queued.getRunId());
    RunEvent last = events.get(events.size() - 1);
    assertThat(last.getState()).as(last.getMessage()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    List<RunPhase> phases =
        events.stream().map(RunEvent::getPhase).distinct().filter(p -> p.getNumber() > 1).toList();
    assertThat(phases)
        .containsSubsequence(
            RunPhase.RUN_PHASE_DATA,
            RunPhase.RUN_PHASE_TEACHER,
            RunPhase.RUN_PHASE_PAIR_BANK,
            RunPhase.RUN_PHASE_STUDENT,
            RunPhase.RUN_PHASE_EVALUATION,
            RunPhase.RUN_PHASE_EXPORT,
            RunPhase.RUN_PHASE_PUBLISH,
            RunPhase.RUN_PHASE_DONE);
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.getPhase()).isEqualTo(RunPhase.RUN_PHASE_TEACHER);
              assertThat(e.getTotalSteps()).isEqualTo(6);
              assertThat(e.getLossesMap()).containsKey("loss");
            });

    Run done =
        anonymous.getRun(GetRunRequest.newBuilder().setRunId(queued.getRunId()).build()).getRun();
    assertThat(done.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(done.getPhase()).isEqualTo(RunPhase.RUN_PHASE_DONE);
    assertThat(done.getMetricsMap().get("pde_error")).isPositive();
    assertThat(done.getMetricsMap().get("teacher_nfe")).isEqualTo(3.0);
    assertThat(done.getMetricsMap().get("nfe")).isEqualTo(1.0);
    assertThat(done.hasFinishedAt()).isTrue();
    assertThat(done.getCreatedBy()).isEqualTo("token");

    // a finished run's watch is its final state and nothing more
    assertThat(watchToTheEnd(queued.getRunId()))
        .singleElement()
        .satisfies(e -> assertThat(e.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED));
    assertThat(anonymous.listRuns(ListRunsRequest.getDefaultInstance()).getRunsList())
        .extracting(Run::getRunId)
        .contains(queued.getRunId());
    assertThat(
            anonymous
                .listRuns(ListRunsRequest.newBuilder().setState(RunState.RUN_STATE_FAILED).build())
                .getRunsList())
        .extracting(Run::getRunId)
        .doesNotContain(queued.getRunId());
    assertStatus(
        () ->
            authorised.cancelRun(CancelRunRequest.newBuilder().setRunId(queued.getRunId()).build()),
        Status.Code.FAILED_PRECONDITION,
        "already ended");

    String metrics = RestAssured.get("/q/metrics").asString();
    assertThat(metrics)
        .contains("piddm_trainer_runs{state=\"succeeded\"}")
        .contains("piddm_trainer_steps_total{phase=\"teacher\"}")
        .contains("piddm_trainer_run_progress{phase=\"teacher\"}");
  }

  @Test
  void cancellingARunningRunStopsItAtAStepBoundary() {
    Run queued =
        start(
            tiny()
                .setTeacher(
                    tiny().getTeacher().toBuilder().setSteps(100_000).setCheckpointEvery(50))
                .build());
    Iterator<RunEvent> stream =
        anonymous
            .withDeadlineAfter(2, TimeUnit.MINUTES)
            .watchRun(WatchRunRequest.newBuilder().setRunId(queued.getRunId()).build());
    RunEvent event;
    do {
      event = stream.next();
    } while (!(event.getPhase() == RunPhase.RUN_PHASE_TEACHER && event.getStep() > 0));
    Run cancelled =
        authorised
            .cancelRun(
                CancelRunRequest.newBuilder()
                    .setRunId(queued.getRunId())
                    .setReason("test over")
                    .build())
            .getRun();
    assertThat(cancelled.getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
    assertThat(cancelled.getError()).contains("test over");
    RunEvent last = event;
    while (stream.hasNext()) {
      last = stream.next();
    }
    assertThat(last.getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
  }

  @Test
  void badRequestsGetTheirStatusAndStartNothing() {
    int before =
        anonymous.listRuns(ListRunsRequest.newBuilder().setPageSize(100).build()).getRunsCount();
    record Case(UnaryOperator<RunSpec.Builder> change, String message) {}
    List<Case> cases =
        List.of(
            new Case(b -> b.setPde(Pde.PDE_UNSPECIFIED), "pde must be set"),
            new Case(b -> b.setProfile("slow"), "profile"),
            new Case(b -> b.setResolution(-4), "resolution"),
            new Case(b -> b.setResolution(17), "resolution"),
            new Case(b -> b.setTeacher(b.getTeacher().toBuilder().setSteps(-1)), "teacher.steps"),
            new Case(
                b -> b.setTeacher(b.getTeacher().toBuilder().setPreset("huge")), "teacher.preset"),
            new Case(
                b -> b.setStudent(b.getStudent().toBuilder().setLambdaTrain(-0.5)),
                "student.lambda_train"),
            new Case(b -> b.setDataset(b.getDataset().toBuilder().setCount(-3)), "dataset.count"),
            new Case(
                b -> b.setDataset(b.getDataset().toBuilder().setCount(Long.MAX_VALUE)),
                "dataset.count is 9223372036854775807, past this trainer's limit of 100000"
                    + " (piddm.trainer.limits.max-fields)"),
            new Case(
                b -> b.setStudent(b.getStudent().toBuilder().setSteps(Long.MAX_VALUE)),
                "student.steps is 9223372036854775807, past this trainer's limit"),
            new Case(
                b ->
                    b.setPublish(
                        PublishSettings.newBuilder().setModelName("Bad/Name").setSkip(false)),
                "publish.model_name"),
            new Case(b -> b.setDevice("tpu"), "device"));
    for (Case c : cases) {
      assertStatus(
          () -> start(c.change().apply(tiny()).build()), Status.Code.INVALID_ARGUMENT, c.message());
    }
    // the import folder is target/trainer-test-data/imports: nothing outside it is opened
    for (String outside : List.of("/etc/passwd", "../token", "../runs")) {
      assertStatus(
          () ->
              start(
                  tiny()
                      .setDataset(tiny().getDataset().toBuilder().setImportPath(outside))
                      .build()),
          Status.Code.PERMISSION_DENIED,
          "dataset.import_path: ");
    }
    assertStatus(
        () ->
            start(
                tiny()
                    .setDataset(tiny().getDataset().toBuilder().setImportPath("none.mat"))
                    .build()),
        Status.Code.NOT_FOUND,
        "dataset.import_path: no file none.mat in this trainer's import folder");
    assertStatus(
        () ->
            start(tiny().setPublish(PublishSettings.newBuilder().setModelName("darcy-ok")).build()),
        Status.Code.FAILED_PRECONDITION,
        "no registry");
    assertStatus(
        () -> anonymous.startRun(StartRunRequest.newBuilder().setSpec(tiny()).build()),
        Status.Code.UNAUTHENTICATED,
        "Bearer");
    assertStatus(
        () -> withToken("wrong").startRun(StartRunRequest.newBuilder().setSpec(tiny()).build()),
        Status.Code.PERMISSION_DENIED,
        "not valid");
    assertStatus(
        () -> anonymous.getRun(GetRunRequest.newBuilder().setRunId("run-nope").build()),
        Status.Code.NOT_FOUND,
        "run-nope");
    assertStatus(
        () -> authorised.cancelRun(CancelRunRequest.newBuilder().setRunId("run-nope").build()),
        Status.Code.NOT_FOUND,
        "run-nope");
    assertStatus(
        () -> anonymous.getRun(GetRunRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "run_id");
    assertStatus(
        () -> anonymous.listRuns(ListRunsRequest.newBuilder().setPageToken("zz").build()),
        Status.Code.INVALID_ARGUMENT,
        "page_token");
    assertThat(
            anonymous
                .listRuns(ListRunsRequest.newBuilder().setPageSize(100).build())
                .getRunsCount())
        .isEqualTo(before);
  }

  private static void assertStatus(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).as(e.getMessage()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }
}
