package io.piddm.diffusion.eval;

import com.google.gson.GsonBuilder;
import io.piddm.physics.grid.Field;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.metrics.PdeError;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.metrics.SolutionConsistency;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.render.FieldRenderer;
import io.piddm.physics.residual.ArrayEvaluator;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jetbrains.bio.npy.NpyFile;

/**
 * Judges a set of generated fields against a held-out reference set (physical units, float64): PDE
 * error under every residual spec of the PDE (mean over samples of the absolute and relative
 * error), MMSE and SMSE per channel, solution consistency (elliptic PDEs: the generated u against
 * the solver's solution for the generated a; {@link SolutionConsistency}) and the cost per sample.
 * Writes the JSON report and a PNG sheet of samples.
 */
public final class SampleEvaluation {

  /**
   * One row of a quality table.
   *
   * @param judgedSpec the id of the residual spec the evaluated model was trained with: the PDE
   *     error that judges it (every spec of the PDE is reported beside it)
   */
  public record Report(
      String method,
      String pde,
      String judgedSpec,
      int resolution,
      int samples,
      int referenceSamples,
      long seed,
      int networkEvaluations,
      double secondsPerSample,
      Map<String, Double> pdeErrorAbsolute,
      Map<String, Double> pdeErrorRelative,
      Map<String, Double> mmse,
      Map<String, Double> smse,
      SolutionConsistency solutionConsistency) {

    /**
     * The median relative L2 of the generated u to the solver's solution for the generated a, or
     * NaN where the PDE has no boundary value problem to solve (Burgers).
     */
    public double solutionConsistencyMedian() {
      return solutionConsistency == null ? Double.NaN : solutionConsistency.median();
    }
  }

  private SampleEvaluation() {}

  /** Splits [count, C, S, S] float data into per-sample channel fields. */
  public static List<List<Field>> fields(float[] data, int count, int channels, int size) {
    int plane = size * size;
    if (data.length != count * channels * plane) {
      throw new IllegalArgumentException(
          "data: expected "
              + count
              + "×"
              + channels
              + "×"
              + size
              + "×"
              + size
              + " values, got "
              + data.length);
    }
    List<List<Field>> samples = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      List<Field> channelFields = new ArrayList<>();
      for (int c = 0; c < channels; c++) {
        double[] v = new double[plane];
        int offset = (n * channels + c) * plane;
        for (int k = 0; k < plane; k++) {
          v[k] = data[offset + k];
        }
        channelFields.add(new Field(size, size, v));
      }
      samples.add(channelFields);
    }
    return samples;
  }

  /**
   * Judges {@code generated} against {@code reference}; {@code judged} is the model's own residual
   * spec (the PDE error its table reads), reported beside every other spec of the PDE.
   */
  public static Report evaluate(
      String method,
      ResidualSpec judged,
      Grid grid,
      List<List<Field>> generated,
      List<List<Field>> reference,
      long seed,
      int networkEvaluations,
      double secondsPerSample) {
    Pde pde = judged.pde();
    Map<String, Double> absolute = new LinkedHashMap<>();
    Map<String, Double> relative = new LinkedHashMap<>();
    List<ResidualSpec> specs = new ArrayList<>(ResidualSpecs.forPde(pde));
    if (specs.stream().noneMatch(s -> s.id().equals(judged.id()))) {
      specs.add(0, judged);
    }
    for (ResidualSpec spec : specs) {
      double sumAbsolute = 0;
      double sumRelative = 0;
      for (List<Field> sample : generated) {
        PdeError error = PdeError.of(spec, grid, sample);
        sumAbsolute += error.absolute();
        sumRelative += error.relative();
      }
      absolute.put(spec.id(), sumAbsolute / generated.size());
      relative.put(spec.id(), sumRelative / generated.size());
    }
    Map<String, Double> mmse = new LinkedHashMap<>();
    Map<String, Double> smse = new LinkedHashMap<>();
    for (int c = 0; c < pde.channels().size(); c++) {
      int channel = c;
      List<Field> g = generated.stream().map(s -> s.get(channel)).toList();
      List<Field> r = reference.stream().map(s -> s.get(channel)).toList();
      mmse.put(pde.channels().get(c), SampleMetrics.mmse(g, r));
      smse.put(pde.channels().get(c), SampleMetrics.smse(g, r));
    }
    SolutionConsistency consistency =
        SolutionConsistency.applies(pde) ? SolutionConsistency.of(pde, grid, generated) : null;
    return new Report(
        method,
        pde.id(),
        judged.id(),
        grid.size(),
        generated.size(),
        reference.size(),
        seed,
        networkEvaluations,
        secondsPerSample,
        absolute,
        relative,
        mmse,
        smse,
        consistency);
  }

  /**
   * Writes {@code <method>.json}, {@code <method>.npy} (the judged samples, float32 N×C×S×S in
   * physical units, so the scores can be re-checked from the arrays) and {@code <method>.png} (up
   * to 4 samples: channels, residual).
   */
  public static void write(Report report, Pde pde, List<List<Field>> generated, Path directory)
      throws IOException {
    Files.createDirectories(directory);
    Path json = directory.resolve(report.method() + ".json");
    Files.writeString(
        json,
        new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(report),
        StandardCharsets.UTF_8);
    int channels = pde.channels().size();
    int plane = report.resolution() * report.resolution();
    float[] arrays = new float[generated.size() * channels * plane];
    for (int n = 0; n < generated.size(); n++) {
      for (int c = 0; c < channels; c++) {
        double[] v = generated.get(n).get(c).values();
        for (int k = 0; k < plane; k++) {
          arrays[(n * channels + c) * plane + k] = (float) v[k];
        }
      }
    }
    NpyFile.write(
        directory.resolve(report.method() + ".npy"),
        arrays,
        new int[] {generated.size(), channels, report.resolution(), report.resolution()});
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    // each sample's channels and its residual map under the spec that judges the model, where
    // R ≠ 0 shows
    ResidualSpec judged = ResidualSpecs.byId(report.judgedSpec());
    Grid grid = new Grid(report.resolution());
    for (int n = 0; n < Math.min(4, generated.size()); n++) {
      for (int c = 0; c < pde.channels().size(); c++) {
        panels.add(
            new FieldRenderer.Panel(
                generated.get(n).get(c), report.method() + " #" + n + " " + pde.channels().get(c)));
      }
      panels.add(
          new FieldRenderer.Panel(
              ArrayEvaluator.residual(judged, grid, generated.get(n)),
              report.method() + " #" + n + " residual"));
    }
    FieldRenderer.writePng(
        FieldRenderer.sheet(panels, 2 * (pde.channels().size() + 1)),
        directory.resolve(report.method() + ".png"));
  }
}
