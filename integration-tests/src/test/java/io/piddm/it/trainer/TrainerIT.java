package io.piddm.it.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.piddm.cli.Piddm;
import io.piddm.cli.mesh.MeshService;
import io.piddm.cli.mesh.ServiceProcess;
import io.piddm.inference.ReconstructionDefaults;
import io.piddm.it.MeshHarness;
import io.piddm.physics.pde.Pde;
import io.piddm.probe.ServiceEndpoint;
import io.piddm.proto.v1.GetRunRequest;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.Run;
import io.piddm.proto.v1.RunEvent;
import io.piddm.proto.v1.RunPhase;
import io.piddm.proto.v1.RunState;
import io.piddm.proto.v1.TrainerServiceGrpc;
import io.piddm.proto.v1.WatchRunRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * The trainer in a real mesh over its sockets: {@code piddm train} runs every phase with real DJL
 * steps, publishes to the registry with lineage and metrics and moves {@code production}; the
 * sampler, following that alias, then serves the new version to {@code piddm sample}. A trainer
 * killed mid-run resumes the run from its checkpoint after a restart.
 */
class TrainerIT {

  static final String TRAINER_TOKEN = "trainer-it-token";
  static final String REGISTRY_TOKEN = "registry-it-token";
  static final String MODEL = "darcy-it";

  @RegisterExtension
  static final MeshHarness mesh =
      new MeshHarness()
          .withEnvironment(MeshService.REGISTRY, "PIDDM_REGISTRY_TOKEN", REGISTRY_TOKEN)
          .withEnvironment(MeshService.TRAINER, "PIDDM_TRAINER_TOKEN", TRAINER_TOKEN)
          .withEnvironment(MeshService.SAMPLER, "PIDDM_SAMPLER_MODEL", MODEL)
          .withEnvironment(MeshService.SAMPLER, "PIDDM_SAMPLER_RECONCILE_INTERVAL", "2s");

  private static ServiceProcess restartedTrainer;

  record Result(int exit, String out, String err) {}

  static Result piddm(String... args) {
    CommandLine cli = Piddm.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  static String target(MeshService service) {
    ServiceEndpoint e = mesh.endpoint(service);
    return e.host() + ":" + e.grpcPort();
  }

  static Path tinySpec() throws Exception {
    Path spec = mesh.workDirectory().resolve("tiny-run.json");
    try (var in = TrainerIT.class.getResourceAsStream("/trainer/tiny-run.json")) {
      Files.write(spec, in.readAllBytes());
    }
    return spec;
  }

  @AfterAll
  static void stopRestarted() throws InterruptedException {
    if (restartedTrainer != null) {
      restartedTrainer.stop(Duration.ofSeconds(20));
    }
  }

  @Test
  void aTrainedStudentIsPublishedPromotedAndServed() throws Exception {
    Result train =
        piddm(
            "train",
            "--spec",
            tinySpec().toString(),
            "--model",
            MODEL,
            "--alias",
            "production",
            "--label",
            "purpose=it",
            "--trainer",
            target(MeshService.TRAINER),
            "--token",
            TRAINER_TOKEN);
    assertThat(train.exit()).as(train.out() + train.err()).isZero();
    assertThat(train.out()).contains("succeeded").contains("published " + MODEL + " v1");
    assertThat(train.err()).contains("[teacher]").contains("[publish]");

    Result show =
        piddm(
            "models",
            "show",
            MODEL,
            "--version",
            "1",
            "--json",
            "--registry",
            target(MeshService.REGISTRY));
    assertThat(show.exit()).as(show.err()).isZero();
    ModelManifest.Builder manifest = ModelManifest.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(show.out(), manifest);
    assertThat(manifest.getMetricsMap()).containsKeys("pde_error", "teacher_pde_error", "mmse_a");
    assertThat(manifest.getLineage().getDataset().getContentHash()).hasSize(64);
    assertThat(manifest.getLineage().getHyperparametersMap()).containsEntry("teacher.steps", "6");
    assertThat(manifest.getLabelsMap()).containsEntry("purpose", "it").containsKey("run_id");
    String runId = manifest.getLabelsMap().get("run_id");
    assertThat(manifest.getLineage().getTeacherRunId()).isEqualTo(runId + "/teacher");
    assertThat(manifest.getLineage().getDistillationRunId()).isEqualTo(runId + "/distill");
    assertThat(manifest.getFilesList())
        .extracting(f -> f.getName())
        .containsExactlyInAnyOrder("model.onnx", "reconstruct.onnx");
    assertThat(manifest.getGrid().getHeight()).isEqualTo(16);
    // the spec the student was distilled with, in full
    assertThat(manifest.getResidualSpec().getId()).isEqualTo("darcy/consistent-fv5-harmonic");
    assertThat(manifest.getResidualSpec().getFamily())
        .isEqualTo(io.piddm.proto.v1.ResidualFamily.RESIDUAL_FAMILY_CONSISTENT);
    assertThat(manifest.getResidualSpec().getCropPixels()).isEqualTo(1);
    assertThat(manifest.getResidualSpec().getStencil()).isNotBlank();
    // the reconstruction settings chosen for Darcy on the validation set travel with the model
    ReconstructionDefaults.TaskSettings inverse =
        ReconstructionDefaults.validated(Pde.DARCY)
            .of(ReconstructionDefaults.Task.INVERSE)
            .orElseThrow();
    assertThat(manifest.getReconstructDefaultsMap())
        .containsOnlyKeys("forward", "inverse", "reconstruction");
    assertThat(manifest.getReconstructDefaultsMap().get("inverse").getSteps())
        .isEqualTo(inverse.steps());

    // the sampler follows production: it serves v1 within seconds
    Path samples = mesh.workDirectory().resolve("samples");
    Result sample = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      sample =
          piddm(
              "sample",
              "-n",
              "3",
              "--seed",
              "5",
              "--out",
              samples.toString(),
              "--sampler",
              target(MeshService.SAMPLER));
      if (sample.exit() == 0) {
        break;
      }
      Thread.sleep(500);
    }
    assertThat(sample.exit()).as(sample.out() + sample.err()).isZero();
    assertThat(sample.out()).contains(MODEL).contains("v1");
    assertThat(samples.resolve("samples.npy")).isRegularFile();

    // an inverse reconstruction that leaves steps, rate and weights unset runs with the settings
    // the model was published with
    Path inverseOut = mesh.workDirectory().resolve("inverse");
    Result reconstruct =
        piddm(
            "reconstruct",
            "--observations",
            samples.resolve("samples.npy").toString(),
            "--observe",
            "u",
            "--no-progress",
            "--json",
            "--out",
            inverseOut.toString(),
            "--sampler",
            target(MeshService.SAMPLER));
    assertThat(reconstruct.exit()).as(reconstruct.out() + reconstruct.err()).isZero();
    JsonObject report = JsonParser.parseString(reconstruct.out()).getAsJsonObject();
    assertThat(report.get("task").getAsString()).isEqualTo("inverse");
    assertThat(report.get("steps").getAsInt()).isEqualTo(inverse.steps());
    assertThat(report.get("learning_rate").getAsDouble()).isEqualTo(inverse.learningRate());
    assertThat(report.get("lambda_obs").getAsDouble()).isEqualTo(inverse.lambdaObs());
    assertThat(report.get("lambda_pde").getAsDouble()).isEqualTo(inverse.lambdaPde());
    assertThat(report.get("lambda_solution").getAsDouble()).isEqualTo(inverse.lambdaSolution());

    Result runs = piddm("runs", "--trainer", target(MeshService.TRAINER));
    assertThat(runs.exit()).isZero();
    assertThat(runs.out()).contains("succeeded").contains(MODEL + " v1");
  }

  @Test
  void aTrainerKilledMidRunResumesTheRunFromItsCheckpoint() throws Exception {
    String spec =
        Files.readString(tinySpec(), StandardCharsets.UTF_8)
            .replace("\"steps\": \"6\"", "\"steps\": \"400\", \"checkpointEvery\": \"20\"");
    Path long_ = mesh.workDirectory().resolve("long-run.json");
    Files.writeString(long_, spec, StandardCharsets.UTF_8);
    Result started =
        piddm(
            "train",
            "--spec",
            long_.toString(),
            "--no-publish",
            "--detach",
            "--json",
            "--trainer",
            target(MeshService.TRAINER),
            "--token",
            TRAINER_TOKEN);
    assertThat(started.exit()).as(started.err()).isZero();
    Run.Builder run = Run.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(started.out(), run);
    String id = run.getRunId();

    ServiceProcess trainer = mesh.mesh().get(MeshService.TRAINER);
    long reached;
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(target(MeshService.TRAINER)).usePlaintext().build();
    try {
      Iterator<RunEvent> events =
          TrainerServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(3, TimeUnit.MINUTES)
              .watchRun(WatchRunRequest.newBuilder().setRunId(id).build());
      RunEvent e;
      do {
        e = events.next();
      } while (!(e.getPhase() == RunPhase.RUN_PHASE_TEACHER && e.getStep() >= 50));
      reached = e.getStep();
    } finally {
      channel.shutdownNow();
    }
    ProcessHandle handle = ProcessHandle.of(trainer.pid()).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);

    Path home = Path.of(System.getProperty("piddm.home", "..")).toAbsolutePath().normalize();
    restartedTrainer =
        ServiceProcess.start(
            MeshService.TRAINER,
            home,
            trainer.endpoint(),
            mesh.workDirectory().resolve("logs").resolve("trainer-restarted.log"),
            Map.of(
                "PIDDM_TRAINER_DATA_DIR",
                mesh.workDirectory().resolve("trainer-data").toString(),
                "PIDDM_TRAINER_TOKEN",
                TRAINER_TOKEN,
                "PIDDM_TRAINER_REGISTRY",
                target(MeshService.REGISTRY),
                "PIDDM_TRAINER_REGISTRY_TOKEN",
                REGISTRY_TOKEN,
                "OMP_NUM_THREADS",
                "1"));
    restartedTrainer.awaitServing(Duration.ofMinutes(2));

    List<RunEvent> after = new ArrayList<>();
    channel = ManagedChannelBuilder.forTarget(target(MeshService.TRAINER)).usePlaintext().build();
    try {
      var stub = TrainerServiceGrpc.newBlockingStub(channel);
      stub.withDeadlineAfter(5, TimeUnit.MINUTES)
          .watchRun(WatchRunRequest.newBuilder().setRunId(id).build())
          .forEachRemaining(after::add);
      Run ended = stub.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
      assertThat(ended.getState()).as(ended.getError()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
      assertThat(ended.getResumedCount()).isEqualTo(1);
    } finally {
      channel.shutdownNow();
    }
    assertThat(after)
        .anySatisfy(
            e -> assertThat(e.getMessage()).contains("resuming the teacher from its checkpoint"));
    long firstTeacherStep =
        after.stream()
            .filter(e -> e.getPhase() == RunPhase.RUN_PHASE_TEACHER && e.getStep() > 0)
            .mapToLong(RunEvent::getStep)
            .min()
            .orElseThrow();
    // checkpoints every 20 steps: the restart went on from the last one, not from step 1
    assertThat(firstTeacherStep).isGreaterThan(20).isLessThanOrEqualTo(reached + 21);
  }
}
