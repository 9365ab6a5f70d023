package io.piddm.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.distill.DistillSettings;
import io.piddm.diffusion.distill.Distillation;
import io.piddm.diffusion.djl.DjlOps;
import io.piddm.diffusion.djl.DjlParameters;
import io.piddm.diffusion.djl.DjlResidual;
import io.piddm.diffusion.edm.Edm;
import io.piddm.diffusion.edm.HeunSampler;
import io.piddm.diffusion.model.TrainedModel;
import io.piddm.diffusion.net.OutputConstraint;
import io.piddm.diffusion.net.Student;
import io.piddm.diffusion.net.UNet;
import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TrainSettings;
import io.piddm.diffusion.train.Trainer;
import io.piddm.physics.grid.Grid;
import io.piddm.physics.pde.Pde;
import io.piddm.physics.residual.ResidualSpec;
import io.piddm.physics.residual.ResidualSpecs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The student learns the teacher's ODE map in one evaluation; the residual term lowers the PDE
 * residual of what it generates; a resumed distillation reaches the same weights.
 */
class DistillationTest {

  static final int SIZE = TeacherOverfitTest.SIZE;
  static final Shape SAMPLE = new Shape(2, SIZE, SIZE);

  @TempDir static Path dir;
  static Path teacherDir;

  @BeforeAll
  static void trainTeacher() throws Exception {
    var set = TeacherOverfitTest.trainingSetWithNormalization();
    UNetSpec spec = UNetSpec.tiny(2);
    Edm edm = new Edm(new UNet(spec), OutputConstraint.none());
    TrainSettings settings = new TrainSettings(8, 400, 5e-3, 50, 1.0, 0.95, 1, 0, null);
    teacherDir = dir.resolve("teacher");
    try (Trainer trainer = Trainer.teacher(edm, settings, set.data(), SAMPLE)) {
      trainer.train((s, t, l, r, e, k) -> {});
      new TrainedModel(
              TrainedModel.TEACHER,
              Pde.POISSON.id(),
              SIZE,
              spec,
              set.normalization(),
              Map.of("source", "TeacherOverfitTest"),
              settings.describe())
          .write(teacherDir, trainer.ema());
    }
  }

  private static TrainSettings studentSettings(long steps, Path checkpoints, long every) {
    return new TrainSettings(8, steps, 1e-3, 20, 1.0, 0.9, 5, every, checkpoints);
  }

  @Test
  void theResidualTermLowersTheResidualOfWhatTheStudentLearnsFromTheTeacher() throws Exception {
    DistillSettings pure = new DistillSettings(32, 6, 50, 0.25, 0, 16);
    DistillSettings informed =
        new DistillSettings(
            32, 6, 50, 0.25, Double.parseDouble(System.getProperty("distill.lambda", "0.1")), 16);
    var plain =
        Distillation.run(
            teacherDir,
            pure,
            studentSettings(200, null, 0),
            dir.resolve("pure"),
            (s, t, l, r, e, k) -> {});
    var physics =
        Distillation.run(
            teacherDir,
            informed,
            studentSettings(200, null, 0),
            dir.resolve("informed"),
            (s, t, l, r, e, k) -> {});
    assertThat(plain.pairsGenerated()).isEqualTo(32 + 3 * 8);
    assertThat(plain.pairGenerationSeconds()).isPositive();

    TrainedModel teacher = TrainedModel.read(teacherDir);
    ResidualSpec spec = ResidualSpecs.consistent(Pde.POISSON);
    // the spec travels with the student: read back from its card, definition checked
    assertThat(TrainedModel.read(dir.resolve("informed")).residualSpec()).isSameAs(spec);
    assertThat(teacher.residualSpec()).isSameAs(spec);
    Grid grid = new Grid(SIZE);
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters teacherWeights = teacher.loadWeights(teacherDir, manager);
        DjlParameters pureWeights = plain.model().loadWeights(dir.resolve("pure"), manager);
        DjlParameters informedWeights =
            physics.model().loadWeights(dir.resolve("informed"), manager)) {
      java.util.Random random = new java.util.Random(99);
      float[] noise = new float[Math.toIntExact(16 * SAMPLE.size())];
      for (int k = 0; k < noise.length; k++) {
        noise[k] = (float) random.nextGaussian();
      }
      NDArray eps = manager.create(noise, new Shape(16).addAll(SAMPLE));
      UNet net = teacher.net();
      NDArray ode =
          new HeunSampler(new Edm(net, OutputConstraint.none()), 6)
              .sample(teacherWeights::get, eps);
      Student student = new Student(net, OutputConstraint.none());
      DjlOps ops = new DjlOps();
      NDArray before = student.forward(ops, teacherWeights::get, eps);
      NDArray afterPure = student.forward(ops, pureWeights::get, eps);
      NDArray afterInformed = student.forward(ops, informedWeights::get, eps);
      double errorBefore = ode.sub(before).square().mean().getFloat();
      double errorPure = ode.sub(afterPure).square().mean().getFloat();
      double errorInformed = ode.sub(afterInformed).square().mean().getFloat();
      double residualPure = residual(spec, grid, teacher, afterPure);
      double residualInformed = residual(spec, grid, teacher, afterInformed);
      double residualTeacher = residual(spec, grid, teacher, ode);
      System.out.printf(
          "distillation error (fresh ε): %.4f at init, %.4f pure, %.4f informed;"
              + " mean R² teacher ODE %.3e, pure %.3e, informed %.3e%n",
          errorBefore, errorPure, errorInformed, residualTeacher, residualPure, residualInformed);
      assertThat(errorPure).isLessThan(0.5 * errorBefore);
      assertThat(residualInformed).isLessThan(0.5 * residualPure);
    }
  }

  private static double residual(
      ResidualSpec spec, Grid grid, TrainedModel model, NDArray normalised) {
    return DjlResidual.residual(spec, grid, model.normalization().toPhysical(normalised))
        .square()
        .mean()
        .getFloat();
  }

  @Test
  void aResumedDistillationReachesTheSameWeights() throws Exception {
    DistillSettings settings = new DistillSettings(8, 2, 2, 0.5, 0.1, 8);
    Distillation.run(
        teacherDir,
        settings,
        studentSettings(6, dir.resolve("straight-ckpt"), 0),
        dir.resolve("straight"),
        (s, t, l, r, e, k) -> {});
    Distillation.run(
        teacherDir,
        settings,
        studentSettings(3, dir.resolve("split-ckpt"), 3),
        dir.resolve("split"),
        (s, t, l, r, e, k) -> {});
    var resumed =
        Distillation.run(
            teacherDir,
            settings,
            studentSettings(6, dir.resolve("split-ckpt"), 3),
            dir.resolve("split"),
            (s, t, l, r, e, k) -> {});
    assertThat(resumed.pairsGenerated()).isEqualTo(8 + 2 * 4);
    try (NDManager manager = NDManager.newBaseManager();
        DjlParameters a =
            TrainedModel.read(dir.resolve("straight"))
                .loadWeights(dir.resolve("straight"), manager);
        DjlParameters b =
            TrainedModel.read(dir.resolve("split")).loadWeights(dir.resolve("split"), manager)) {
      CheckpointTest.assertSameBits(a, b);
    }
  }
}
