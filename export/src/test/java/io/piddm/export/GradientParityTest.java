package io.piddm.export;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.onnxruntime.OnnxTensor;
import io.piddm.diffusion.djl.DjlInverseLaplacian;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlResidual;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.inference.OnnxSessions;
import io.piddm.inference.StudentModel;
import io.piddm.physics.residual.ResidualSpecs;
import io.piddm.physics.residual.SourceScales;
import io.piddm.physics.solve.DirichletLaplacian;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * reconstruct.onnx (loss, ∂loss/∂ε written out as ONNX nodes, x_mix) against DJL autograd of the
 * same loss built from Student.physical and DjlResidual (and, where the PDE has it, the solution
 * term through DjlInverseLaplacian), and against a central finite difference.
 */
class GradientParityTest {

  private static final int SIZE = 16;
  private static final int BATCH = 2;

  @TempDir Path dir;

  enum Case {
    /** All of a observed: solve for u. */
    FORWARD,
    /** All of u observed: solve for a. */
    INVERSE,
    /** 3 % of the points of both channels. */
    RANDOM,
    /** No observations, λ_obs = 0: the PIDDM-ref objective. */
    RESIDUAL_ONLY,
    /** Burgers (one channel, periodic columns), 3 % observed: the wrap-around path. */
    BURGERS_PERIODIC,
    /**
     * Darcy with a wide normalisation of a, so the [3, 12] clamp of the output constraint cuts part
     * of the coefficient: the clamp's backward (gradient only where it let the value through).
     */
    CLAMPED
  }

  /** {@code lambdaSolution} is fed only to graphs with the solution term (not Burgers). */
  record Inputs(
      float[] eps,
      float[] observed,
      float[] mask,
      float lambdaObs,
      float lambdaPde,
      float lambdaSolution) {}

  record Outputs(float[] loss, float[] grad, float[] xMix) {}

  static Inputs inputs(Case c, OnnxExporter.ExportSpec export, long seed) {
    int channels = export.spec().channels();
    Random random = new Random(seed);
    int plane = SIZE * SIZE;
    int n = BATCH * channels * plane;
    float[] eps = Fixtures.gaussian(random, n);
    float[] observed = new float[n];
    float[] mask = new float[n];
    for (int k = 0; k < n; k++) {
      int channel = (k / plane) % channels;
      observed[k] =
          (float) (export.mean()[channel] + 0.5 * export.std()[channel] * random.nextGaussian());
      mask[k] =
          switch (c) {
            case FORWARD -> channel == 0 ? 1 : 0;
            case INVERSE -> channel == channels - 1 ? 1 : 0;
            case RANDOM, BURGERS_PERIODIC, CLAMPED -> random.nextDouble() < 0.03 ? 1 : 0;
            case RESIDUAL_ONLY -> 0;
          };
    }
    float lambdaObs = c == Case.RESIDUAL_ONLY ? 0 : 1;
    return new Inputs(eps, observed, mask, lambdaObs, 0.05f, 0.05f);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Case.FORWARD, UNetSpec.tiny(2)),
        Arguments.of(Case.INVERSE, UNetSpec.tiny(2)),
        Arguments.of(Case.RANDOM, UNetSpec.tiny(2)),
        Arguments.of(Case.RESIDUAL_ONLY, UNetSpec.tiny(2)),
        Arguments.of(Case.RANDOM, UNetSpec.preset32(2)),
        Arguments.of(Case.BURGERS_PERIODIC, UNetSpec.tiny(1)),
        Arguments.of(Case.CLAMPED, UNetSpec.tiny(2)));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void onnxGradientMatchesDjlAutograd(Case c, UNetSpec spec) throws Exception {
    OnnxExporter.ExportSpec export =
        switch (c) {
          case BURGERS_PERIODIC ->
              Fixtures.export(spec, SIZE, 21, ResidualSpecs.byId("burgers/central"));
          case CLAMPED -> wideCoefficient(Fixtures.export(spec, SIZE, 21));
          default -> Fixtures.export(spec, SIZE, 21);
        };
    Inputs in = inputs(c, export, 8);
    Outputs onnx;
    Path file = OnnxExporter.export(export, dir).reconstruct();
    try (OnnxSessions.Opened s = OnnxSessions.open(file, OnnxSessions.Provider.CPU, 1)) {
      onnx = runOnnx(s, in, spec.channels());
    }
    Outputs djl = runDjl(export, in);

    double lossRel = 0;
    for (int k = 0; k < BATCH; k++) {
      lossRel =
          Math.max(lossRel, Math.abs(onnx.loss()[k] - djl.loss()[k]) / Math.abs(djl.loss()[k]));
    }
    assertThat(Fixtures.maxAbs(djl.grad())).isGreaterThan(0);
    assertThat(lossRel).as("loss").isLessThan(1e-4);
    assertThat(Fixtures.maxAbsDiff(onnx.xMix(), djl.xMix())).as("x_mix").isLessThan(1e-4);
    assertThat(Fixtures.relativeL2(onnx.grad(), djl.grad())).as("grad_eps").isLessThan(1e-3);
    if (spec.channels() == 2) {
      // the output constraint holds in the exported graph: u = 0 on ∂Ω, a inside [3, 12]
      int plane = SIZE * SIZE;
      int clamped = 0;
      for (int k = 0; k < onnx.xMix().length; k++) {
        int p = k % plane;
        boolean observed = in.mask()[k] == 1;
        if ((k / plane) % 2 == 0 && !observed) {
          assertThat((double) onnx.xMix()[k]).isBetween(3 - 1e-4, 12 + 1e-4);
          clamped +=
              Math.abs(onnx.xMix()[k] - 3) < 1e-5 || Math.abs(onnx.xMix()[k] - 12) < 1e-5 ? 1 : 0;
        } else if (!observed
            && io.piddm.physics.pde.FieldConstraints.onBoundary(p / SIZE, p % SIZE, SIZE)) {
          assertThat(onnx.xMix()[k]).isZero();
        }
      }
      if (c == Case.CLAMPED) {
        assertThat(clamped).as("coefficient values cut by the clamp").isGreaterThan(10);
      }
    }
  }

  private static OnnxExporter.ExportSpec wideCoefficient(OnnxExporter.ExportSpec e) {
    return new OnnxExporter.ExportSpec(
        e.name(),
        e.version(),
        e.spec(),
        e.weights(),
        e.mean(),
        new double[] {40, e.std()[1]},
        e.residual(),
        e.grid());
  }

  /** ⟨∂loss/∂ε, v⟩ against (L(ε + t v) − L(ε − t v)) / 2t on the same graph. */
  @Test
  void gradientMatchesCentralFiniteDifference() throws Exception {
    UNetSpec spec = UNetSpec.tiny(2);
    OnnxExporter.ExportSpec export = Fixtures.export(spec, SIZE, 31);
    Inputs in = inputs(Case.RANDOM, export, 9);
    float[] v = Fixtures.gaussian(new Random(10), in.eps().length);
    double t = 1e-2;
    Path file = OnnxExporter.export(export, dir).reconstruct();
    try (OnnxSessions.Opened s = OnnxSessions.open(file, OnnxSessions.Provider.CPU, 1)) {
      Outputs at = runOnnx(s, in, 2);
      double analytic = 0;
      for (int k = 0; k < v.length; k++) {
        analytic += (double) at.grad()[k] * v[k];
      }
      double plus = totalLoss(runOnnx(s, shifted(in, v, t), 2));
      double minus = totalLoss(runOnnx(s, shifted(in, v, -t), 2));
      double numeric = (plus - minus) / (2 * t);
      assertThat(Math.abs(analytic)).isGreaterThan(1);
      assertThat(Math.abs(numeric - analytic) / Math.abs(analytic)).isLessThan(1e-3);
    }
  }

  private static Inputs shifted(Inputs in, float[] v, double t) {
    float[] eps = in.eps().clone();
    for (int k = 0; k < eps.length; k++) {
      eps[k] += (float) (t * v[k]);
    }
    return new Inputs(
        eps, in.observed(), in.mask(), in.lambdaObs(), in.lambdaPde(), in.lambdaSolution());
  }

  private static double totalLoss(Outputs o) {
    double sum = 0;
    for (float l : o.loss()) {
      sum += l;
    }
    return sum;
  }

  private static Outputs runOnnx(OnnxSessions.Opened s, Inputs in, int channels) throws Exception {
    long[] shape = {BATCH, channels, SIZE, SIZE};
    Map<String, OnnxTensor> feed = new HashMap<>();
    feed.put("eps", Fixtures.tensor(in.eps(), shape));
    feed.put("x_obs", Fixtures.tensor(in.observed(), shape));
    feed.put("mask", Fixtures.tensor(in.mask(), shape));
    feed.put("lambda_obs", Fixtures.tensor(new float[] {in.lambdaObs()}, 1));
    feed.put("lambda_pde", Fixtures.tensor(new float[] {in.lambdaPde()}, 1));
    if (s.session().getInputNames().contains(StudentModel.LAMBDA_SOLUTION)) {
      feed.put(StudentModel.LAMBDA_SOLUTION, Fixtures.tensor(new float[] {in.lambdaSolution()}, 1));
    }
    Map<String, float[]> out = Fixtures.run(s.session(), feed);
    return new Outputs(out.get("loss"), out.get("grad_eps"), out.get("x_mix"));
  }

  private static Outputs runDjl(OnnxExporter.ExportSpec export, Inputs in) {
    UNetSpec spec = export.spec();
    Shape shape = new Shape(BATCH, spec.channels(), SIZE, SIZE);
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> params = Fixtures.djlParameters(manager, spec, export.weights());
      NDArray eps = manager.create(in.eps(), shape);
      eps.setRequiresGradient(true);
      NDArray observed = manager.create(in.observed(), shape);
      NDArray mask = manager.create(in.mask(), shape);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray d =
            new Student(new UNet(spec), export.constraint())
                .physical(new DjlOps(), params::get, eps, export.std(), export.mean());
        NDArray misfit = d.sub(observed).mul(mask);
        NDArray obsTerm = misfit.mul(misfit).sum(new int[] {1, 2, 3});
        NDArray xMix = observed.mul(mask).add(d.mul(mask.neg().add(1f)));
        NDArray r = DjlResidual.residual(export.residual(), export.grid(), xMix);
        NDArray pdeTerm = r.mul(r).reshape(BATCH, -1).mean(new int[] {1});
        // DjlOps.times, not mul(Number): see diffusion/README.md.
        NDArray loss =
            DjlOps.times(obsTerm, in.lambdaObs()).add(DjlOps.times(pdeTerm, in.lambdaPde()));
        DirichletLaplacian laplacian = OnnxExporter.solutionOperator(export);
        if (laplacian != null) {
          // the training loss's solution term (DjlInverseLaplacian), here per sample
          int n = laplacian.interiorSize();
          double scale =
              1
                  / SourceScales.solutionRms(
                      export.residual().pde(), export.grid(), export.residual());
          NDArray solution =
              DjlOps.times(new DjlInverseLaplacian(laplacian).apply(r.reshape(BATCH, n, n)), scale);
          NDArray solutionTerm = solution.mul(solution).reshape(BATCH, -1).mean(new int[] {1});
          loss = loss.add(DjlOps.times(solutionTerm, in.lambdaSolution()));
        }
        collector.backward(loss.sum());
        return new Outputs(
            loss.toFloatArray(), eps.getGradient().toFloatArray(), xMix.toFloatArray());
      }
    }
  }
}
