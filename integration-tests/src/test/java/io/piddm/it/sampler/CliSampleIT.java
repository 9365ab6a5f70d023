package io.piddm.it.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.piddm.api.sampler.ServedModel;
import io.piddm.cli.Piddm;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.physics.grid.Field;
import io.piddm.physics.render.FieldRenderer;
import io.piddm.proto.v1.DType;
import io.piddm.proto.v1.GenerateRequest;
import io.piddm.proto.v1.GenerateResponse;
import io.piddm.proto.v1.ModelStatusRequest;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.ReconstructResponse;
import io.piddm.proto.v1.TaskKind;
import io.piddm.proto.v1.Tensor;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jetbrains.bio.npy.NpyArray;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code piddm sample} and {@code piddm reconstruct} run in-process against a real sampler process
 * serving a Darcy student exported by the real exporter, over a real socket: the files they write
 * hold exactly what the sampler answers for the same request, the PNGs decode, and mistakes give a
 * non-zero exit code with the gRPC status.
 */
class CliSampleIT {

  static final int GRID = 16;
  static final int DIM = 2 * GRID * GRID;

  @TempDir static Path work;
  static SamplerNode sampler;
  static String target;

  @BeforeAll
  static void start() throws Exception {
    Path model = SamplerNode.exportStudent(work.resolve("model"), UNetSpec.tiny(2), GRID, 5);
    sampler =
        SamplerNode.start(
            work.resolve("sampler.log"), Map.of("PIDDM_SAMPLER_MODEL_DIR", model.toString()));
    target = "localhost:" + sampler.endpoint().grpcPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (sampler != null) {
      sampler.close();
    }
  }

  record Run(int exit, String out, String err) {}

  static Run piddm(String... args) {
    var cli = Piddm.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--sampler");
    all.add(target);
    int exit = cli.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  static float[] floats(ByteString data) {
    float[] out = new float[data.size() / 4];
    data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  static Tensor tensor(float[] v, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    Tensor.Builder t =
        Tensor.newBuilder().setDtype(DType.DTYPE_FLOAT32).setData(ByteString.copyFrom(b.array()));
    for (long s : shape) {
      t.addShape(s);
    }
    return t.build();
  }

  static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  /** Height of one 16×16 panel of the project's renderer. */
  static int panelHeight() {
    return FieldRenderer.heatmap(Field.zeros(GRID, GRID), "x").getHeight();
  }

  /** Fields from the sampler directly, written as a stack like a dataset's fields.npy. */
  static Path truth(long seed) throws Exception {
    GenerateResponse g =
        sampler.stub().generate(GenerateRequest.newBuilder().setCount(1).setSeed(seed).build());
    Path file = work.resolve("truth-" + seed + ".npy");
    NpyFile.write(file, floats(g.getFields().getData()), new int[] {1, 2, GRID, GRID});
    return file;
  }

  @Test
  void sampleWritesWhatGenerateReturnsForTheSameSeed() throws Exception {
    Path out = work.resolve("sample");
    Run run = piddm("sample", "--count", "3", "--seed", "11", "--out", out.toString(), "--json");
    assertThat(run.exit()).as(run.err()).isZero();

    GenerateResponse direct =
        sampler.stub().generate(GenerateRequest.newBuilder().setCount(3).setSeed(11).build());
    NpyArray npy = NpyFile.read(out.resolve("samples.npy"), Integer.MAX_VALUE);
    assertThat(npy.getShape()).containsExactly(3, 2, GRID, GRID);
    assertThat(npy.asFloatArray()).containsExactly(floats(direct.getFields().getData()));

    BufferedImage png = ImageIO.read(out.resolve("samples.png").toFile());
    assertThat(png).isNotNull();
    assertThat(png.getHeight()).isEqualTo(3 * panelHeight());

    JsonObject report = JsonParser.parseString(run.out()).getAsJsonObject();
    assertThat(report).isEqualTo(json(out.resolve("sample.json")));
    JsonArray pde = report.getAsJsonArray("pde_error");
    assertThat(pde).hasSize(3);
    var model = sampler.stub().modelStatus(ModelStatusRequest.getDefaultInstance()).getModel();
    ServedModel served =
        new ServedModel(
            model.getModelName(),
            model.getVersion(),
            "",
            "darcy",
            model.getGrid().getChannelsList(),
            GRID,
            GRID,
            model.getResidualSpecId());
    for (int i = 0; i < 3; i++) {
      assertThat(pde.get(i).getAsDouble()).isEqualTo(direct.getPdeError(i));
      // the relative error is computed here under the spec the sampler judges with
      var local = served.pdeError(npy.asFloatArray(), i).orElseThrow();
      assertThat(local.absolute()).isCloseTo(direct.getPdeError(i), withinRelative());
      assertThat(report.getAsJsonArray("relative_pde_error").get(i).getAsDouble())
          .isEqualTo(local.relative());
    }
    assertThat(report.getAsJsonObject("model").get("version").getAsLong())
        .isEqualTo(direct.getModel().getVersion());

    Run text =
        piddm("sample", "--count", "1", "--seed", "11", "--out", out.resolve("t").toString());
    assertThat(text.exit()).as(text.err()).isZero();
    assertThat(text.out()).contains("PDE error (mean R²)", "relative (‖R‖/‖f‖)", "samples.npy");
  }

  static org.assertj.core.data.Percentage withinRelative() {
    return org.assertj.core.data.Percentage.withPercentage(1e-6);
  }

  @Test
  void inverseReconstructionMatchesTheStreamForTheSameRequest() throws Exception {
    Path truth = truth(3);
    Path out = work.resolve("inverse");
    Run run =
        piddm(
            "reconstruct",
            "--observations",
            truth.toString(),
            "--observe",
            "u",
            "--steps",
            "15",
            "--seed",
            "4",
            "--truth",
            truth.toString(),
            "--out",
            out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("inverse from u (256 observed entries), 15 steps, lr 0.05")
        .contains("relative L2 vs truth: a ")
        .contains("u ")
        .contains("observation error");

    // the same request straight to the sampler gives the same field
    float[] field = NpyFile.read(truth, Integer.MAX_VALUE).asFloatArray();
    float[] observations = new float[DIM];
    float[] mask = new float[DIM];
    for (int k = GRID * GRID; k < DIM; k++) {
      observations[k] = field[k];
      mask[k] = 1;
    }
    ReconstructRequest request =
        ReconstructRequest.newBuilder()
            .setTask(TaskKind.TASK_KIND_INVERSE)
            .setObservations(tensor(observations, 2, GRID, GRID))
            .setDenseMask(tensor(mask, 2, GRID, GRID))
            .setLambdaObs(1)
            .setLambdaPde(1e-3)
            .setLearningRate(0.05)
            .setSteps(15)
            .setSeed(4)
            .setEnsembleSize(1)
            .build();
    ReconstructResponse last = null;
    int progress = 0;
    for (Iterator<ReconstructResponse> it = sampler.stub().reconstruct(request); it.hasNext(); ) {
      last = it.next();
      progress += last.hasProgress() ? 1 : 0;
    }
    assertThat(progress).isEqualTo(16);
    NpyArray npy = NpyFile.read(out.resolve("reconstruction.npy"), Integer.MAX_VALUE);
    assertThat(npy.getShape()).containsExactly(2, GRID, GRID);
    assertThat(npy.asFloatArray()).containsExactly(floats(last.getResult().getMean().getData()));

    JsonObject report = json(out.resolve("reconstruction.json"));
    assertThat(report.get("pde_error").getAsDouble()).isEqualTo(last.getResult().getPdeError());
    assertThat(report.get("observation_error").getAsDouble())
        .isEqualTo(last.getResult().getObservationError());
    assertThat(report.get("relative_pde_error").getAsDouble()).isPositive();
    JsonArray errors = report.getAsJsonArray("truth");
    assertThat(errors.get(0).getAsJsonObject().get("channel").getAsString()).isEqualTo("a");
    assertThat(errors.get(0).getAsJsonObject().has("error_rate")).isTrue();

    BufferedImage png = ImageIO.read(out.resolve("reconstruction.png").toFile());
    assertThat(png).isNotNull();
    assertThat(png.getHeight()).isEqualTo(3 * panelHeight()); // observation, reconstruction, error
  }

  @Test
  void sparsePointsWithAnEnsembleAndForwardWithTheBoundary() throws Exception {
    Path truth = truth(8);
    Path sparse = work.resolve("sparse");
    Run run =
        piddm(
            "reconstruct",
            "--observations",
            truth.toString(),
            "--points",
            "12",
            "--seed",
            "2",
            "--ensemble",
            "2",
            "--steps",
            "5",
            "--json",
            "--out",
            sparse.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    JsonObject report = JsonParser.parseString(run.out()).getAsJsonObject();
    assertThat(report.get("task").getAsString()).isEqualTo("reconstruction");
    assertThat(report.get("observed_entries").getAsInt()).isEqualTo(24);
    assertThat(report.get("ensemble").getAsInt()).isEqualTo(2);
    assertThat(NpyFile.read(sparse.resolve("members.npy"), Integer.MAX_VALUE).getShape())
        .containsExactly(2, 2, GRID, GRID);
    assertThat(NpyFile.read(sparse.resolve("spread.npy"), Integer.MAX_VALUE).getShape())
        .containsExactly(2, GRID, GRID);

    Path forward = work.resolve("forward");
    Run solve =
        piddm(
            "reconstruct",
            "--observations",
            truth.toString(),
            "--observe",
            "a",
            "--steps",
            "5",
            "--no-progress",
            "--out",
            forward.toString());
    assertThat(solve.exit()).as(solve.err()).isZero();
    assertThat(solve.out()).contains("forward from a + boundary values (316 observed entries)");
    assertThat(ImageIO.read(forward.resolve("reconstruction.png").toFile())).isNotNull();
  }

  @Test
  void mistakesGiveTheGrpcStatusAndANonZeroExit() throws Exception {
    Path wrongGrid = work.resolve("wrong-grid.npy");
    NpyFile.write(wrongGrid, new float[2 * 20 * 20], new int[] {2, 20, 20});
    Run grid =
        piddm(
            "reconstruct",
            "--observations",
            wrongGrid.toString(),
            "--observe",
            "u",
            "--out",
            work.resolve("bad").toString());
    assertThat(grid.exit()).isNotZero();
    assertThat(grid.err()).contains("INVALID_ARGUMENT", "[2, 20, 20]", "sampler " + target);

    Run unknown =
        piddm("sample", "--model", "no-such-model", "--out", work.resolve("bad").toString());
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.err()).contains("NOT_FOUND", "no-such-model");

    Run version =
        piddm(
            "reconstruct",
            "--observations",
            truth(1).toString(),
            "--version",
            "99",
            "--out",
            work.resolve("bad").toString());
    assertThat(version.exit()).isNotZero();
    assertThat(version.err()).contains("NOT_FOUND", "version 99");

    Run layout =
        piddm(
            "reconstruct",
            "--observations",
            wrongGrid.toString(),
            "--observe",
            "a,u",
            "--points",
            "0",
            "--out",
            work.resolve("bad").toString());
    assertThat(layout.exit()).isEqualTo(2); // a usage error, found before any call
    assertThat(layout.err()).contains("--points must be >= 1");
  }
}
