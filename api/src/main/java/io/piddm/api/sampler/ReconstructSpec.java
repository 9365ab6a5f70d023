package io.piddm.api.sampler;

import io.piddm.api.Tensors;
import io.piddm.proto.v1.ObservedPoint;
import io.piddm.proto.v1.PointMask;
import io.piddm.proto.v1.ReconstructRequest;
import io.piddm.proto.v1.TaskKind;
import java.util.List;
import java.util.Locale;

/**
 * What to reconstruct, in plain Java: observations [C, H, W] and where they hold (a dense mask of
 * the same shape, or a list of points, or neither), the objective's weights and the optimiser's
 * settings (sampler.proto {@code ReconstructRequest}). {@link #toRequest} gives the message.
 *
 * @param observations C × H × W values; entries outside the mask are ignored by the sampler
 * @param denseMask C × H × W of 0/1, or null
 * @param points observed entries, or null; at most one of {@code denseMask} and {@code points}
 * @param lambdaObs observation weight; with {@code lambdaPde} 0 and {@code lambdaSolution} null the
 *     weights are unset and the sampler uses the model's defaults for the task
 * @param lambdaSolution weight of the solution term (null: unset; 0: not used; > 0 needs a model
 *     whose graph has it)
 * @param steps Adam steps (0: the model's default for the task)
 * @param learningRate Adam's learning rate on ε (0: the model's default for the task, else 0.05)
 * @param fieldEvery the current field streams every this many steps (0: only the final field)
 * @param ensembleSize members from seeds seed, seed+1, … (0 or 1: one)
 */
public record ReconstructSpec(
    SamplerClient.Model model,
    Task task,
    float[] observations,
    int channels,
    int height,
    int width,
    float[] denseMask,
    List<Point> points,
    double lambdaObs,
    double lambdaPde,
    Double lambdaSolution,
    int steps,
    double learningRate,
    int fieldEvery,
    long seed,
    int ensembleSize) {

  /** The kind of task, as the sampler records it (it picks the model's defaults by it). */
  public enum Task {
    /** Coefficient observed, solve for the solution. */
    FORWARD(TaskKind.TASK_KIND_FORWARD),
    /** Solution (all or part) observed, recover the coefficient. */
    INVERSE(TaskKind.TASK_KIND_INVERSE),
    /** Sparse points of several channels observed. */
    RECONSTRUCTION(TaskKind.TASK_KIND_RECONSTRUCTION);

    private final TaskKind kind;

    Task(TaskKind kind) {
      this.kind = kind;
    }

    public TaskKind kind() {
      return kind;
    }

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One observed entry. */
  public record Point(int channel, int row, int col) {}

  public ReconstructSpec {
    if (model == null) {
      model = SamplerClient.Model.SERVED;
    }
    if (task == null) {
      task = Task.RECONSTRUCTION;
    }
    if (observations != null && observations.length != (long) channels * height * width) {
      throw new IllegalArgumentException(
          "observations: "
              + observations.length
              + " values for ["
              + channels
              + ", "
              + height
              + ", "
              + width
              + "]");
    }
    if (denseMask != null && points != null) {
      throw new IllegalArgumentException("give a dense mask or points, not both");
    }
    if (denseMask != null && denseMask.length != (long) channels * height * width) {
      throw new IllegalArgumentException(
          "dense mask: "
              + denseMask.length
              + " values for ["
              + channels
              + ", "
              + height
              + ", "
              + width
              + "]");
    }
    points = points == null ? null : List.copyOf(points);
  }

  /** The mask as a dense C × H × W array (from the points when given as points). */
  public float[] maskArray() {
    if (denseMask != null) {
      return denseMask.clone();
    }
    float[] mask = new float[channels * height * width];
    if (points != null) {
      for (Point p : points) {
        if (p.channel() >= 0
            && p.channel() < channels
            && p.row() >= 0
            && p.row() < height
            && p.col() >= 0
            && p.col() < width) {
          mask[(p.channel() * height + p.row()) * width + p.col()] = 1f;
        }
      }
    }
    return mask;
  }

  /** The number of observed entries. */
  public int observedEntries() {
    int n = 0;
    for (float m : maskArray()) {
      n += m != 0 ? 1 : 0;
    }
    return n;
  }

  public ReconstructRequest toRequest() {
    ReconstructRequest.Builder b =
        ReconstructRequest.newBuilder()
            .setModel(model.toProto())
            .setTask(task.kind())
            .setLambdaObs(lambdaObs)
            .setLambdaPde(lambdaPde)
            .setSteps(steps)
            .setLearningRate(learningRate)
            .setFieldEvery(fieldEvery)
            .setSeed(seed)
            .setEnsembleSize(ensembleSize);
    if (lambdaSolution != null) {
      b.setLambdaSolution(lambdaSolution);
    }
    if (observations != null) {
      b.setObservations(Tensors.float32(observations, channels, height, width));
    }
    if (denseMask != null) {
      b.setDenseMask(Tensors.float32(denseMask, channels, height, width));
    } else if (points != null) {
      PointMask.Builder m = PointMask.newBuilder();
      for (Point p : points) {
        m.addPoints(
            ObservedPoint.newBuilder().setChannel(p.channel()).setRow(p.row()).setCol(p.col()));
      }
      b.setPoints(m);
    }
    return b.build();
  }
}
