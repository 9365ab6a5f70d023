package io.piddm.cli;

import com.google.gson.GsonBuilder;
import io.piddm.physics.bench.GenerationBench;
import io.piddm.physics.bench.ScipyBaseline;
import io.piddm.physics.dataset.DatasetGenerator;
import io.piddm.physics.dataset.DatasetSidecar;
import io.piddm.physics.dataset.DatasetSpec;
import io.piddm.physics.grid.Field;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.render.FieldRenderer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code piddm data}: generate datasets with the project's own solvers, and time them. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = "Generate PDE datasets (.npy + JSON sidecar) and benchmark the generators.",
    subcommands = {DataCommand.Generate.class, DataCommand.Import.class, DataCommand.Bench.class})
final class DataCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static Pde pde(CommandLine commandLine, String name) {
    try {
      return Pde.parse(name);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(commandLine, "--pde: " + e.getMessage());
    }
  }

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Solve COUNT problems of a PDE and write DIR/fields.npy (float32, N×C×S×S) and",
        "DIR/dataset.json (parameters, seed, solver, normalisation, sha256). Uses every core;",
        "an interrupted run resumes from its finished chunks when started again."
      },
      footer = {
        "",
        "Examples:",
        "  piddm data generate --pde darcy --resolution 64 --count 10000 --seed 1 --out data/darcy64",
        "  piddm data generate --pde poisson --resolution 32 --count 500 --seed 2 --out /tmp/p32 --json"
      })
  static final class Generate implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--pde", required = true, description = "darcy, poisson or helmholtz.")
    String pde;

    @Option(names = "--resolution", defaultValue = "64", description = "Nodes per side S (≥ 8).")
    int resolution;

    @Option(names = "--count", required = true, description = "Number of samples.")
    int count;

    @Option(
        names = "--seed",
        defaultValue = "1",
        description = "Dataset seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--threads", description = "Worker threads (default: every core).")
    Integer threads;

    @Option(names = "--json", description = "Print the sidecar as JSON instead of a summary.")
    boolean json;

    @Option(
        names = "--preview",
        negatable = true,
        defaultValue = "true",
        // picocli: without it a default-true negatable option reads --no-x as true
        fallbackValue = "true",
        description = "Write DIR/preview.png with the first samples' channels (default on).")
    boolean preview;

    @Override
    public Integer call() throws IOException, InterruptedException {
      DatasetSpec dataset;
      try {
        dataset = new DatasetSpec(pde(spec.commandLine(), pde), resolution, count, seed);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
      long start = System.nanoTime();
      DatasetSidecar sidecar;
      try (ProgressBar bar =
          ProgressBars.onStderr(dataset.pde().id() + " " + resolution + "²", count)) {
        sidecar = new DatasetGenerator(dataset, workers).generate(out, bar::stepBy);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (preview) {
        writePreview(dataset, out);
      }
      if (json) {
        System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(sidecar));
      } else {
        System.out.printf(
            "wrote %d %s samples at %d² to %s in %.1f s (%.1f samples/s on %d threads)%n"
                + "sha256 %s%n",
            count,
            dataset.pde().id(),
            resolution,
            out.resolve(DatasetGenerator.FIELDS),
            seconds,
            count / seconds,
            workers,
            sidecar.sha256());
        for (DatasetSidecar.Normalization n : sidecar.normalization()) {
          System.out.printf("  %s: mean %.6g, std %.6g%n", n.channel(), n.mean(), n.std());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Read a DiffusionPDE/FNO-style MATLAB v7.3 .mat file (HDF5) into DIR/fields.npy and",
        "DIR/dataset.json, the same layout 'generate' writes."
      },
      footer = {
        "",
        "Examples:",
        "  piddm data import --mat darcy.mat --pde darcy --out data/darcy-imported",
        "  piddm data import --mat p.mat --pde poisson --key a=f --key u=u --layout row_major --out data/p"
      })
  static final class Import implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--mat", required = true, description = "The .mat (HDF5, v7.3) file.")
    Path mat;

    @Option(names = "--pde", required = true, description = "darcy, poisson or helmholtz.")
    String pde;

    @Option(
        names = "--key",
        description = "Dataset name per channel, CHANNEL=KEY (default a=coeff, u=sol).")
    Map<String, String> keys = new LinkedHashMap<>();

    @Option(
        names = "--layout",
        defaultValue = "MATLAB",
        description =
            "matlab (column-major, as MATLAB writes) or row_major (default ${DEFAULT-VALUE}).")
    io.piddm.physics.dataset.MatImporter.Layout layout;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() throws IOException {
      Pde which = pde(spec.commandLine(), pde);
      DatasetSidecar sidecar;
      try {
        sidecar = io.piddm.physics.dataset.MatImporter.importFile(mat, which, keys, layout, out);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      writePreview(new DatasetSpec(which, sidecar.resolution(), sidecar.count(), 0), out);
      System.out.printf(
          "imported %d %s samples at %d² from %s to %s%nsha256 %s%n",
          sidecar.count(),
          which.id(),
          sidecar.resolution(),
          mat,
          out.resolve(DatasetGenerator.FIELDS),
          sidecar.sha256());
      return 0;
    }
  }

  /** The first samples of a dataset, every channel, as one PNG sheet. */
  static void writePreview(DatasetSpec dataset, Path out) throws IOException {
    float[] data =
        org.jetbrains.bio.npy.NpyFile.read(out.resolve(DatasetGenerator.FIELDS), Integer.MAX_VALUE)
            .asFloatArray();
    int s = dataset.resolution();
    int channels = dataset.channels();
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    int shown = Math.min(4, dataset.count());
    for (int n = 0; n < shown; n++) {
      for (int c = 0; c < channels; c++) {
        double[] values = new double[s * s];
        int offset = (n * channels + c) * s * s;
        for (int k = 0; k < values.length; k++) {
          values[k] = data[offset + k];
        }
        panels.add(
            new FieldRenderer.Panel(
                new Field(s, s, values), "#" + n + " " + dataset.pde().channels().get(c)));
      }
    }
    FieldRenderer.writePng(FieldRenderer.sheet(panels, channels * 2), out.resolve("preview.png"));
  }

  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = {
        "Time data generation on one core (median over repeats) and, when python3 with SciPy is",
        "available, SciPy's spsolve of the same 5-point Darcy system, side by side."
      },
      footer = {"", "Example:", "  piddm data bench --pde darcy --resolution 64 --resolution 128"})
  static final class Bench implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--pde",
        defaultValue = "darcy",
        description = "PDE (default ${DEFAULT-VALUE}).")
    String pde;

    @Option(names = "--resolution", description = "Resolutions (default 64 and 128).")
    List<Integer> resolutions;

    @Option(names = "--samples", defaultValue = "20", description = "Samples per repeat.")
    int samples;

    @Option(names = "--repeats", defaultValue = "5", description = "Repeats (median reported).")
    int repeats;

    @Option(names = "--no-scipy", description = "Skip the SciPy baseline.")
    boolean noScipy;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      Pde which = pde(spec.commandLine(), pde);
      List<Map<String, Object>> rows = new ArrayList<>();
      for (int s : resolutions == null ? List.of(64, 128) : resolutions) {
        GenerationBench.Result result = GenerationBench.run(which, s, samples, repeats);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("pde", which.id());
        row.put("resolution", s);
        row.put("sample_ms_median", result.sampleMillis());
        row.put("samples_per_second_per_core", result.samplesPerSecondPerCore());
        row.put("java_solve_ms_median", result.solveMillis());
        if (!noScipy && which == Pde.DARCY) {
          OptionalDouble scipyMillis = ScipyBaseline.solveMillis(Piddm.home(), s, repeats);
          Double scipy = scipyMillis.isPresent() ? scipyMillis.getAsDouble() : null;
          row.put("scipy_spsolve_ms_median", scipy);
          row.put("scipy_over_java_solve", scipy == null ? null : scipy / result.solveMillis());
        }
        rows.add(row);
      }
      if (json) {
        System.out.println(
            new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(rows));
      } else {
        System.out.printf(
            "%-10s %5s %12s %14s %14s %16s %10s%n",
            "PDE",
            "S",
            "ms/sample",
            "samples/s/core",
            "Java solve ms",
            "SciPy spsolve ms",
            "ratio");
        for (Map<String, Object> row : rows) {
          System.out.printf(
              "%-10s %5d %12.2f %14.1f %14.2f %16s %10s%n",
              row.get("pde"),
              row.get("resolution"),
              row.get("sample_ms_median"),
              row.get("samples_per_second_per_core"),
              row.get("java_solve_ms_median"),
              format(row.get("scipy_spsolve_ms_median")),
              format(row.get("scipy_over_java_solve")));
        }
        System.out.println(
            "ratio = SciPy spsolve time / Java solve time (> 1: Java is faster), one thread each.");
      }
      return 0;
    }

    private static String format(Object value) {
      return value instanceof Double d ? String.format("%.2f", d) : "n/a";
    }
  }
}
