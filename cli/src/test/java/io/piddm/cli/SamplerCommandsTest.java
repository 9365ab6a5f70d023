package io.piddm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.piddm.cli.sampler.NpyFields;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.TaskKind;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.jetbrains.bio.npy.NpyFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code piddm sample} and {@code piddm reconstruct} against a stand-in sampler on a socket: the
 * requests the options build, the files written, and the exit codes of mistakes.
 */
class SamplerCommandsTest {

  static FakeSampler sampler;

  @BeforeAll
  static void start() throws Exception {
    sampler = new FakeSampler();
  }

  @AfterAll
  static void stop() throws Exception {
    sampler.close();
  }

  record Run(int exit, String out, String err) {}

  static Run piddm(String... args) {
    CommandLine cli = Piddm.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.contains("--help") && !all.contains("--sampler")) {
      all.add("--sampler");
      all.add(sampler.target());
    }
    int exit = cli.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  static float[] floats(Path npy) {
    return NpyFile.read(npy, Integer.MAX_VALUE).asFloatArray();
  }

  static int[] shape(Path npy) {
    return NpyFile.read(npy, Integer.MAX_VALUE).getShape();
  }

  @Test
  void helpShowsExamples() {
    for (String command : List.of("sample", "reconstruct")) {
      Run help = piddm(command, "--help");
      assertThat(help.exit()).isZero();
      assertThat(help.out()).contains("Examples:", "piddm " + command, "--sampler");
    }
    assertThat(piddm("--help").out()).contains("sample", "reconstruct");
  }

  @Test
  void sampleWritesTheFieldsAPngAndTheirPdeErrors(@TempDir Path dir) throws Exception {
    Run run = piddm("sample", "--count", "3", "--seed", "5", "--out", dir.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(sampler.lastGenerate.getCount()).isEqualTo(3);
    assertThat(sampler.lastGenerate.getSeed()).isEqualTo(5);
    assertThat(sampler.lastGenerate.getRefinement().getSteps()).isZero();
    assertThat(sampler.lastGenerate.getModel().getModelName()).isEmpty();

    Path npy = dir.resolve("samples.npy");
    assertThat(shape(npy)).containsExactly(3, 2, 8, 8);
    float[] fields = floats(npy);
    for (int i = 0; i < 3; i++) {
      float[] expected = FakeSampler.field(5, i);
      for (int k = 0; k < expected.length; k++) {
        assertThat(fields[i * FakeSampler.DIM + k]).isEqualTo(expected[k]);
      }
    }
    BufferedImage png = ImageIO.read(dir.resolve("samples.png").toFile());
    assertThat(png).isNotNull();
    assertThat(png.getHeight()).isGreaterThan(png.getWidth()); // three rows of two panels
    assertThat(run.out())
        .contains("fake v2 (darcy, 8×8, channels a, u)", "3 fields from seed 5")
        .contains("5.0000e-01", "1.5000e+00", "2.5000e+00")
        .contains("samples.npy (float32 3×2×8×8)");

    JsonObject json =
        JsonParser.parseString(Files.readString(dir.resolve("sample.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
    assertThat(json.getAsJsonArray("pde_error").get(2).getAsDouble()).isEqualTo(2.5);
    assertThat(json.getAsJsonArray("relative_pde_error")).hasSize(3);
    assertThat(json.getAsJsonArray("relative_pde_error").get(0).getAsDouble()).isPositive();
    assertThat(json.getAsJsonObject("model").get("version").getAsLong()).isEqualTo(2);
  }

  @Test
  void sampleJsonRefinementAndPinning(@TempDir Path dir) {
    Run run =
        piddm(
            "sample",
            "-n",
            "1",
            "--ref-steps",
            "7",
            "--lambda-infer",
            "2",
            "--model",
            "fake",
            "--version",
            "2",
            "--json",
            "--out",
            dir.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    var r = sampler.lastGenerate;
    assertThat(r.getModel().getModelName()).isEqualTo("fake");
    assertThat(r.getModel().getVersion()).isEqualTo(2);
    assertThat(r.getRefinement().getSteps()).isEqualTo(7);
    assertThat(r.getRefinement().getLambdaInfer()).isEqualTo(2);
    assertThat(r.getRefinement().getLearningRate()).isEqualTo(0.05);
    assertThat(r.getRefinement().hasLambdaSolution()).as("unset: the model's default").isFalse();
    JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
    assertThat(json.get("network_evaluations").getAsInt()).isEqualTo(8);
    assertThat(json.getAsJsonArray("shape").toString()).isEqualTo("[1,2,8,8]");
  }

  @Test
  void sampleMistakes(@TempDir Path dir) {
    Run count = piddm("sample", "--count", "0", "--out", dir.toString());
    assertThat(count.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(count.err()).contains("--count must be >= 1");

    Run unknown = piddm("sample", "--model", "nope", "--out", dir.toString());
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("NOT_FOUND", "sampler " + sampler.target(), "nope");

    Run nobody = piddm("sample", "--out", dir.toString(), "--sampler", "localhost:1");
    assertThat(nobody.exit()).isEqualTo(1);
    assertThat(nobody.err()).contains("UNAVAILABLE", "sampler localhost:1", "piddm up");
  }

  @Test
  void inverseFromOneObservedChannelLeavesTheSettingsToTheModel(@TempDir Path dir)
      throws Exception {
    float[] truth = FakeSampler.field(1, 0);
    Path u = dir.resolve("u.npy");
    float[] uPlane = new float[64];
    System.arraycopy(truth, 64, uPlane, 0, 64);
    NpyFields.write(u, uPlane, 8, 8);
    Path reference = dir.resolve("truth.npy");
    NpyFields.write(reference, truth, 2, 8, 8);
    Path out = dir.resolve("out");
    Run run =
        piddm(
            "reconstruct",
            "--observations",
            u.toString(),
            "--observe",
            "u",
            "--steps",
            "12",
            "--truth",
            reference.toString(),
            "--out",
            out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    ReconstructRequest r = sampler.lastReconstruct;
    assertThat(r.getTask()).isEqualTo(TaskKind.TASK_KIND_INVERSE);
    assertThat(r.getSteps()).isEqualTo(12);
    // rate and weights not given: left unset, the sampler takes the model's for the task
    assertThat(r.getLearningRate()).isZero();
    assertThat(r.getLambdaObs()).isZero();
    assertThat(r.getLambdaPde()).isZero();
    assertThat(r.hasLambdaSolution()).isFalse();
    assertThat(r.getEnsembleSize()).isEqualTo(1);
    float[] mask = FakeSampler.floats(r.getDenseMask());
    float[] obs = FakeSampler.floats(r.getObservations());
    for (int k = 0; k < 64; k++) {
      assertThat(mask[k]).isZero();
      assertThat(obs[k]).isZero();
      assertThat(mask[64 + k]).isEqualTo(1f);
      assertThat(obs[64 + k]).isEqualTo(truth[64 + k]);
    }
    // the fake returns the observations: a is all wrong (relative L2 1), u exact
    assertThat(run.out())
        .contains("inverse from u (64 observed entries), 12 steps")
        .contains("observation error 1.2500e-01")
        .contains("a 1.0000 (estimated), error rate", "u 0.0000 (observed)");
    assertThat(shape(out.resolve("reconstruction.npy"))).containsExactly(2, 8, 8);
    assertThat(floats(out.resolve("reconstruction.npy"))).containsExactly(obs);
    BufferedImage png = ImageIO.read(out.resolve("reconstruction.png").toFile());
    assertThat(png.getHeight()).isGreaterThan(png.getWidth()); // 3 rows, 2 columns
    JsonObject json =
        JsonParser.parseString(Files.readString(out.resolve("reconstruction.json")))
            .getAsJsonObject();
    assertThat(json.get("pde_error").getAsDouble()).isEqualTo(0.25);
    assertThat(json.get("relative_pde_error").getAsDouble()).isPositive();
    assertThat(
            json.getAsJsonArray("truth").get(1).getAsJsonObject().get("relative_l2").getAsDouble())
        .isZero();
    assertThat(Files.exists(out.resolve("members.npy"))).isFalse();
  }

  @Test
  void forwardObservesTheSolutionsBoundaryAndEnsemblesWriteTheirMembers(@TempDir Path dir)
      throws Exception {
    Path field = dir.resolve("fields.npy");
    float[] two = new float[2 * FakeSampler.DIM];
    System.arraycopy(FakeSampler.field(4, 0), 0, two, 0, FakeSampler.DIM);
    System.arraycopy(FakeSampler.field(4, 1), 0, two, FakeSampler.DIM, FakeSampler.DIM);
    NpyFields.write(field, two, 2, 2, 8, 8);
    Path out = dir.resolve("out");
    Run run =
        piddm(
            "reconstruct",
            "--observations",
            field.toString(),
            "--index",
            "1",
            "--observe",
            "a",
            "--ensemble",
            "3",
            "--json",
            "--no-progress",
            "--out",
            out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    ReconstructRequest r = sampler.lastReconstruct;
    assertThat(r.getTask()).isEqualTo(TaskKind.TASK_KIND_FORWARD);
    assertThat(r.getSteps()).isZero();
    assertThat(r.getLearningRate()).isZero();
    assertThat(r.getLambdaObs()).isZero();
    assertThat(r.getLambdaPde()).isZero();
    assertThat(r.getEnsembleSize()).isEqualTo(3);
    float[] mask = FakeSampler.floats(r.getDenseMask());
    float[] obs = FakeSampler.floats(r.getObservations());
    float[] expected = FakeSampler.field(4, 1);
    int boundary = 0;
    for (int k = 0; k < 64; k++) {
      assertThat(mask[k]).isEqualTo(1f);
      assertThat(obs[k]).isEqualTo(expected[k]);
      int i = k / 8;
      int j = k % 8;
      boolean edge = i == 0 || j == 0 || i == 7 || j == 7;
      assertThat(mask[64 + k]).isEqualTo(edge ? 1f : 0f);
      assertThat(obs[64 + k]).isZero();
      boundary += edge ? 1 : 0;
    }
    JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
    assertThat(json.get("task").getAsString()).isEqualTo("forward");
    assertThat(json.get("boundary_observed").getAsBoolean()).isTrue();
    assertThat(json.get("observed_entries").getAsInt()).isEqualTo(64 + boundary);
    assertThat(shape(out.resolve("members.npy"))).containsExactly(3, 2, 8, 8);
    assertThat(shape(out.resolve("spread.npy"))).containsExactly(2, 8, 8);
  }

  @Test
  void sparsePointsAreSentAsAPointList(@TempDir Path dir) throws Exception {
    Path field = dir.resolve("field.npy");
    NpyFields.write(field, FakeSampler.field(2, 0), 2, 8, 8);
    Run run =
        piddm(
            "reconstruct",
            "--observations",
            field.toString(),
            "--points",
            "5",
            "--seed",
            "3",
            "--lr",
            "0.2",
            "--lambda-pde",
            "0.5",
            "--steps",
            "3",
            "--out",
            dir.resolve("out").toString());
    assertThat(run.exit()).as(run.err()).isZero();
    ReconstructRequest r = sampler.lastReconstruct;
    assertThat(r.getTask()).isEqualTo(TaskKind.TASK_KIND_RECONSTRUCTION);
    assertThat(r.getSeed()).isEqualTo(3);
    assertThat(r.getLearningRate()).isEqualTo(0.2);
    assertThat(r.getLambdaPde()).isEqualTo(0.5);
    // one weight given: the others are 0, not the model's
    assertThat(r.getLambdaObs()).isZero();
    assertThat(r.getLambdaSolution()).isZero();
    assertThat(r.hasLambdaSolution()).isTrue();
    assertThat(r.hasDenseMask()).isFalse();
    List<ObservedPoint> points = r.getPoints().getPointsList();
    assertThat(points).hasSize(10);
    Set<String> a = new HashSet<>();
    Set<String> u = new HashSet<>();
    float[] obs = FakeSampler.floats(r.getObservations());
    float[] field0 = FakeSampler.field(2, 0);
    int nonZero = 0;
    for (ObservedPoint p : points) {
      assertThat(p.getRow()).isBetween(0, 7);
      assertThat(p.getCol()).isBetween(0, 7);
      (p.getChannel() == 0 ? a : u).add(p.getRow() + "," + p.getCol());
      int k = (p.getChannel() * 8 + p.getRow()) * 8 + p.getCol();
      assertThat(obs[k]).isEqualTo(field0[k]);
    }
    for (float v : obs) {
      nonZero += v != 0 ? 1 : 0;
    }
    assertThat(nonZero).isLessThanOrEqualTo(10); // nothing outside the points is sent
    assertThat(a).hasSize(5).isEqualTo(u);
    assertThat(run.out()).contains("reconstruction from a, u (10 observed entries)");
  }

  @Test
  void reconstructMistakesAreUsageErrorsOrTheSamplersStatus(@TempDir Path dir) throws Exception {
    Path field = dir.resolve("field.npy");
    NpyFields.write(field, FakeSampler.field(2, 0), 2, 8, 8);
    Path three = dir.resolve("three.npy");
    NpyFields.write(three, new float[3 * 64], 3, 8, 8);
    Path big = dir.resolve("big.npy");
    NpyFields.write(big, new float[2 * 100], 2, 10, 10);
    Path mask = dir.resolve("mask.npy");
    NpyFields.write(mask, new float[64], 8, 8);
    String out = dir.resolve("out").toString();

    Run both =
        piddm(
            "reconstruct",
            "--observations",
            field.toString(),
            "--mask",
            mask.toString(),
            "--points",
            "3",
            "--out",
            out);
    assertThat(both.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(both.err()).contains("--mask and --points");

    Run channel =
        piddm("reconstruct", "--observations", field.toString(), "--observe", "v", "--out", out);
    assertThat(channel.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(channel.err()).contains("'v'", "[a, u]");

    Run layout = piddm("reconstruct", "--observations", three.toString(), "--out", out);
    assertThat(layout.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(layout.err()).contains("--observations", "[3, 8, 8]");

    Run missing =
        piddm("reconstruct", "--observations", dir.resolve("none.npy").toString(), "--out", out);
    assertThat(missing.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(missing.err()).contains("--observations", "none.npy");

    Run steps =
        piddm("reconstruct", "--observations", field.toString(), "--steps", "0", "--out", out);
    assertThat(steps.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(steps.err()).contains("--steps must be >= 1");

    Run grid = piddm("reconstruct", "--observations", big.toString(), "--out", out);
    assertThat(grid.exit()).isEqualTo(1);
    assertThat(grid.err()).contains("INVALID_ARGUMENT", "[2, 10, 10]");

    Run model =
        piddm("reconstruct", "--observations", field.toString(), "--model", "other", "--out", out);
    assertThat(model.exit()).isEqualTo(1);
    assertThat(model.err()).contains("NOT_FOUND", "other");
  }
}
